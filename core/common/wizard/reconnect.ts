/**
 * Reconnect-and-verify after a broken connection. The engine never re-sends a command whose fate is unknown: it
 * waits with exponential backoff, and each attempt IS the step's verification (read-only, journaled like every
 * command), so the first attempt that gets through both proves the connection is back and says where the step is.
 * The SSH pool below has its own connect backoff; this one bounds how long the run stays paused in total.
 */
import type { AbortSignalLike, Clock } from '../ports';
import { TransportError, errorMessage } from './errors';
import type { VerifyResult } from './types';

export interface ReconnectPolicy {
  /** Wait before the first verification attempt (the host may be restarting). */
  firstDelayMs: number;
  /** Backoff doubles up to this. */
  maxDelayMs: number;
  /** Give up (the run waits for the operator, the step stays unknown) after this long without a connection. */
  budgetMs: number;
  /** A connection that keeps breaking during one step stops the run after this many recoveries. */
  maxRecoveriesPerStep: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  firstDelayMs: 1000,
  maxDelayMs: 15_000,
  budgetMs: 300_000,
  maxRecoveriesPerStep: 5,
};

export type ReconnectOutcome =
  | { kind: 'verified'; v: VerifyResult; attempts: number; ms: number }
  | { kind: 'gave-up'; attempts: number; ms: number; lastError: string }
  /** The verification ran but threw something other than a connection error (unparseable output, a bug). */
  | { kind: 'error'; attempts: number; ms: number; message: string };

export interface ReconnectOptions {
  verify(): Promise<VerifyResult>;
  clock: Clock;
  signal: AbortSignalLike;
  policy: ReconnectPolicy;
  /** Sleep the first delay before trying (true after a break; false on resume, where the host may be fine). */
  waitFirst: boolean;
  onAttemptFailed?(attempt: number, nextDelayMs: number, error: TransportError): void;
}

/** The delay after `prev` (0 = none yet): first, then doubling, capped. */
export function nextDelay(prev: number, p: ReconnectPolicy): number {
  return prev <= 0 ? p.firstDelayMs : Math.min(p.maxDelayMs, prev * 2);
}

/**
 * Runs `verify` until it gets through, backing off on connection errors within the budget. Rejects only when the
 * signal aborts (the operator aborted the run).
 */
export async function verifyReconnecting(o: ReconnectOptions): Promise<ReconnectOutcome> {
  const start = o.clock.now();
  let delay = o.waitFirst ? o.policy.firstDelayMs : 0;
  for (let attempts = 1; ; attempts++) {
    if (delay > 0) await o.clock.sleep(delay, o.signal);
    try {
      const v = await o.verify();
      return { kind: 'verified', v, attempts, ms: o.clock.now() - start };
    } catch (e) {
      if (o.signal.aborted) throw e;
      const ms = o.clock.now() - start;
      if (!(e instanceof TransportError)) return { kind: 'error', attempts, ms, message: errorMessage(e) };
      delay = nextDelay(delay, o.policy);
      if (ms + delay > o.policy.budgetMs) return { kind: 'gave-up', attempts, ms, lastError: e.message };
      o.onAttemptFailed?.(attempts, delay, e);
    }
  }
}
