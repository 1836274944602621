/**
 * Acknowledgement-based back-pressure for terminal output (Tabby's pty queue idea). The host counts characters
 * it has pushed to a renderer; the renderer acknowledges characters once xterm has parsed them. When too much is
 * in flight the source (pty or SSH channel) is paused, so a `cat` of a huge log cannot flood the IPC pipe, the
 * WebSocket or the renderer's memory; the kernel/SSH window then pushes back on the producer.
 */
export interface FlowControlOptions {
  /** Pause the source when more than this many characters are unacknowledged. */
  highWater: number;
  /** Resume when the unacknowledged count falls below this. */
  lowWater: number;
  pause(): void;
  resume(): void;
}

export const DEFAULT_HIGH_WATER = 2 * 1024 * 1024;
export const DEFAULT_LOW_WATER = 1024 * 1024;

export class FlowControl {
  private unacked = 0;
  private paused = false;

  constructor(private readonly opts: FlowControlOptions) {
    if (opts.lowWater >= opts.highWater) throw new Error('lowWater must be below highWater');
  }

  /** Record characters pushed to the renderer. */
  sent(chars: number): void {
    this.unacked += chars;
    if (!this.paused && this.unacked > this.opts.highWater) {
      this.paused = true;
      this.opts.pause();
    }
  }

  /** Record characters the renderer has consumed. Over-acknowledging is clamped, never negative. */
  ack(chars: number): void {
    this.unacked = Math.max(0, this.unacked - chars);
    if (this.paused && this.unacked < this.opts.lowWater) {
      this.paused = false;
      this.opts.resume();
    }
  }

  get inFlight(): number {
    return this.unacked;
  }

  get isPaused(): boolean {
    return this.paused;
  }
}
