/**
 * ETA for long waits. Ceph publishes mirror state in ~30 s steps (ceph-facts.md gotcha 5), so progress arrives in
 * jumps: the rate is measured from the first observation to the latest change, not between two polls.
 */
export class EtaEstimator {
  private first: { t: number; done: number } | undefined;
  private lastChange: { t: number; done: number } | undefined;

  /** Feeds one observation; returns milliseconds left, or null while there is no rate yet. */
  observe(t: number, done: number, total: number): number | null {
    if (!this.first) {
      this.first = { t, done };
      this.lastChange = { t, done };
      return done >= total ? 0 : null;
    }
    if (this.lastChange && done !== this.lastChange.done) this.lastChange = { t, done };
    if (done >= total) return 0;
    const ref = this.lastChange ?? this.first;
    const progressed = ref.done - this.first.done;
    const elapsed = ref.t - this.first.t;
    if (progressed <= 0 || elapsed <= 0) return null;
    const rate = progressed / elapsed;
    // Time since the last change already counts against the estimate.
    const left = (total - done) / rate - (t - ref.t);
    return Math.max(0, Math.round(left));
  }
}

/** "1 min 05 s" style duration for humans. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (m < 60) return `${m} min ${String(r).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
