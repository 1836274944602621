import { randomUUID } from 'node:crypto';
import type { HostKeyDecider, HostKeyQuestion } from '../../common/ports';
import { ApiErrorException } from '../../common/contract/index';
import type { EventBus } from './events';

interface Pending {
  resolve: (accept: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * Implements core's HostKeyDecider port by asking the operator: emits `hostkey.prompt` and waits for
 * `hostKeys.decide`. Unanswered questions are rejected after a timeout so a connection attempt never hangs
 * forever behind a dialog nobody is looking at.
 */
export class HostKeyPrompts {
  private readonly pending = new Map<string, Pending>();
  private readonly lastQuestion = new Map<string, HostKeyQuestion>();

  constructor(
    private readonly events: EventBus,
    private readonly timeoutMs = 5 * 60_000,
  ) {}

  readonly decider: HostKeyDecider = (q) =>
    new Promise<boolean>((resolve) => {
      const promptId = randomUUID();
      const timer = setTimeout(() => this.settle(promptId, false), this.timeoutMs);
      timer.unref();
      this.pending.set(promptId, { resolve, timer });
      this.lastQuestion.set(promptId, q);
      this.events.emit('hostkey.prompt', {
        promptId,
        hostId: q.hostId,
        host: q.host,
        port: q.port,
        keyType: q.keyType,
        fingerprint: q.fingerprint,
      });
    });

  decide(promptId: string, accept: boolean): void {
    if (!this.pending.has(promptId))
      throw new ApiErrorException('not-found', 'this host-key question is no longer open (answered or timed out)');
    this.settle(promptId, accept);
  }

  /** Questions still open, e.g. for a window that reloaded while a dialog was up. */
  open(): { promptId: string; question: HostKeyQuestion }[] {
    return [...this.lastQuestion.entries()]
      .filter(([id]) => this.pending.has(id))
      .map(([promptId, question]) => ({ promptId, question }));
  }

  /** Rejects everything still open (shutdown). */
  rejectAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, false);
  }

  private settle(promptId: string, accept: boolean): void {
    const p = this.pending.get(promptId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(promptId);
    this.lastQuestion.delete(promptId);
    p.resolve(accept);
  }
}
