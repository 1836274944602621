/**
 * The StepContext the engine hands to preconditions, execute, verify and wait polls. `run` is the only door to
 * the hosts: it journals the intent before sending and the result after, applies the step's bounded retries, and
 * keeps secrets out of the journal (stdin shown as "[redacted]", secret output never stored).
 */
import type { AbortSignalLike, Clock, CommandRunner, ExecResult } from '../ports';
import { CommandFailedError, TransportError, errorMessage } from './errors';
import type { NewRecord } from './journal';
import { REDACTED, Secret } from './secret';
import type { CommandOutcome, Facts, PlanContext, ProgressUpdate, RetrySpec, RunOptions, StepContext } from './types';
import { redactText } from '../redact';

/** Bytes of each stream kept in the journal (the full output went to the live view). */
export const JOURNAL_OUTPUT_CAP = 256 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;

export interface ContextDeps {
  runner: CommandRunner;
  clock: Clock;
  signal: AbortSignalLike;
  secrets: Map<string, Secret>;
  append(record: NewRecord): Promise<void>;
  nextCmd(): number;
  onOutput?(step: string, cmd: number, stream: 'stdout' | 'stderr', chunk: string): void;
  onProgress(step: string, p: ProgressUpdate): void;
  facts: Facts;
  /** Facts set during the step, flushed to the journal by the engine. */
  pendingFacts: Facts;
}

/** A bootstrap token is base64 JSON holding a cephx key: keep that key as a secret too, so it is scrubbed anywhere. */
function derivedSecrets(value: string, label: string): Secret[] {
  try {
    const bin = base64Decode(value.trim());
    const j = JSON.parse(bin) as Record<string, unknown>;
    return Object.entries(j)
      .filter(([k, v]) => /key|secret|password/i.test(k) && typeof v === 'string' && v.length >= 8)
      .map(([k, v]) => new Secret(v as string, `${label} (${k})`));
  } catch {
    return [];
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Base64 to a latin-1 string (core/common has neither Buffer nor atob). */
function base64Decode(s: string): string {
  const clean = s.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean)) throw new Error('not base64');
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((acc >> bits) & 0xff);
    }
  }
  return out;
}

function cap(s: string): { text: string; cut: boolean } {
  return s.length > JOURNAL_OUTPUT_CAP ? { text: s.slice(0, JOURNAL_OUTPUT_CAP), cut: true } : { text: s, cut: false };
}

export function makeStepContext<P>(
  base: PlanContext<P>,
  stepId: string,
  retry: RetrySpec | undefined,
  deps: ContextDeps,
): StepContext<P> {
  const runOnce = async (host: string, argv: string[], opts: RunOptions, attempt: number): Promise<CommandOutcome> => {
    const cmd = deps.nextCmd();
    const intent: NewRecord = {
      type: 'command-intent',
      step: stepId,
      cmd,
      host,
      argv,
      purpose: opts.purpose ?? 'execute',
      attempt,
      ...(opts.stdin ? { stdin: `${REDACTED} (${opts.stdin.label})` } : {}),
      ...(opts.note ? { note: opts.note } : {}),
    };
    await deps.append(intent);
    let res: ExecResult;
    // Journal and live view get the one redactor: the secrets this run holds plus every known secret shape.
    const known = [...deps.secrets.values()].map((s) => s.reveal());
    const scrub = (t: string): string => redactText(t, known);
    try {
      res = await deps.runner.run(host, argv, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: deps.signal,
        ...(opts.stdin ? { stdin: opts.stdin.reveal() } : {}),
        redact: known,
        ...(deps.onOutput && !opts.secretOutput
          ? {
              onStdout: (c: string) => deps.onOutput?.(stepId, cmd, 'stdout', scrub(c)),
              onStderr: (c: string) => deps.onOutput?.(stepId, cmd, 'stderr', scrub(c)),
            }
          : {}),
      });
    } catch (e) {
      await deps.append({
        type: 'command-result',
        step: stepId,
        cmd,
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: 0,
        timedOut: false,
        truncated: false,
        error: errorMessage(e),
      });
      if (deps.signal.aborted) throw e;
      throw new TransportError(`could not run on ${host}: ${errorMessage(e)}`, errorMessage(e), {
        cause: e,
        host,
        purpose: opts.purpose ?? 'execute',
        argv,
      });
    }
    const out = cap(opts.secretOutput ? `${REDACTED} (${res.stdout.length} bytes)` : scrub(res.stdout));
    const err = cap(scrub(res.stderr));
    await deps.append({
      type: 'command-result',
      step: stepId,
      cmd,
      exitCode: res.exitCode,
      signal: res.signal,
      stdout: out.text,
      stderr: err.text,
      durationMs: res.durationMs,
      timedOut: res.timedOut,
      truncated: res.truncated || out.cut || err.cut,
    });
    if (opts.secretOutput) {
      const secret = new Secret(res.stdout.trim(), opts.note ?? 'command output');
      for (const d of derivedSecrets(res.stdout, secret.label)) deps.secrets.set(`derived:${d.label}`, d);
      return { ...res, stdout: '', secret };
    }
    return res;
  };

  const run = async (host: string, argv: string[], options: RunOptions = {}): Promise<CommandOutcome> => {
    const ok = new Set([0, ...(options.okExitCodes ?? [])]);
    const purpose = options.purpose ?? 'execute';
    const attempts = purpose === 'execute' && retry ? Math.max(1, retry.attempts) : 1;
    for (let attempt = 1; ; attempt++) {
      const res = await runOnce(host, argv, options, attempt);
      if (res.timedOut)
        throw new TransportError(`timed out on ${host}: ${argv.slice(0, 6).join(' ')}`, res.stderr.slice(-2000), {
          host,
          purpose,
          argv,
        });
      if (res.exitCode !== null && ok.has(res.exitCode)) return res;
      if (purpose !== 'execute') return res;
      const retryable = retry && res.exitCode !== null && retry.onExitCodes.includes(res.exitCode);
      if (!retryable || attempt >= attempts)
        throw new CommandFailedError(host, argv, res.exitCode, res.stderr || res.stdout);
      deps.onProgress(stepId, {
        done: attempt,
        total: attempts,
        message: `exit ${res.exitCode}: retry ${attempt + 1}/${attempts} in ${retry.delayMs} ms`,
      });
      await deps.clock.sleep(retry.delayMs, deps.signal);
    }
  };

  return {
    ...base,
    facts: deps.facts,
    stepId,
    run,
    setFacts(f: Facts) {
      for (const [k, v] of Object.entries(f)) {
        if (v instanceof Secret) throw new Error(`fact ${k} is a Secret: keep it in ctx.secrets`);
      }
      Object.assign(deps.facts, f);
      Object.assign(deps.pendingFacts, f);
    },
    secrets: deps.secrets,
    progress: (p) => deps.onProgress(stepId, p),
    clock: deps.clock,
    signal: deps.signal,
  };
}
