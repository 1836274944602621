/** Lag/RPO over time, kept in memory: one series per pool (worst image) and one per image with replay data. */
import type { LagPoint, LagSeries } from '../../common/contract/topology';
import type { Finding } from '../../common/topology/health/finding';
import type { TopologyModel } from '../../common/topology/model';

export class LagHistory {
  private readonly pools = new Map<string, LagPoint[]>();
  private readonly images = new Map<string, LagPoint[]>();
  constructor(
    private readonly poolCap = 720,
    private readonly imageCap = 60,
    /** Per-image points kept in all: 60 points × 20k images would hold ~100 MiB for a plot nobody reads whole. */
    private readonly imagePointBudget = 200_000,
  ) {}

  record(m: TopologyModel, findings: Finding[]): void {
    const t = m.generatedAt;
    const errorsByPool = new Map<string, number>();
    for (const f of findings)
      if (f.severity === 'error' && f.cluster) errorsByPool.set(f.cluster, (errorsByPool.get(f.cluster) ?? 0) + 1);
    const agg = new Map<string, LagPoint>();
    const withRpo = m.images.reduce((n, i) => n + (i.rpo ? 1 : 0), 0);
    const cap = Math.max(2, Math.min(this.imageCap, Math.floor(this.imagePointBudget / Math.max(1, withRpo))));
    // Images gone from the model take their series with them.
    if (this.images.size > withRpo) {
      const live = new Set(m.images.map((i) => i.key));
      for (const k of this.images.keys()) if (!live.has(k)) this.images.delete(k);
    }
    for (const img of m.images) {
      const r = img.rpo;
      const syncing = img.sides.some(
        (s) => s.status === 'syncing' || (s.replay?.kind === 'snapshot' && s.replay.replayState === 'syncing'),
      )
        ? 1
        : 0;
      if (r)
        push(
          this.images,
          img.key,
          { t, rpoSeconds: r.seconds, entriesBehind: r.entriesBehind, syncing, errors: 0 },
          cap,
        );
      for (const s of img.sides) {
        if (s.source !== 'local') continue;
        const key = `${s.cluster}/${s.pool}`;
        const p = agg.get(key) ?? { t, rpoSeconds: null, entriesBehind: null, syncing: 0, errors: 0 };
        if (r && s.role !== 'primary') {
          if (r.seconds !== null) p.rpoSeconds = Math.max(p.rpoSeconds ?? 0, r.seconds);
          if (r.entriesBehind !== null) p.entriesBehind = Math.max(p.entriesBehind ?? 0, r.entriesBehind);
        }
        if (s.status === 'error') p.errors++;
        p.syncing += s.status === 'syncing' ? 1 : 0;
        agg.set(key, p);
      }
    }
    for (const [k, p] of agg) push(this.pools, k, p, this.poolCap);
  }

  /** Summary refreshes carry no per-image data: record pool state counts only. */
  recordSummary(m: TopologyModel): void {
    for (const p of m.pools) {
      if (!p.summary) continue;
      const st = p.summary.states;
      push(
        this.pools,
        p.key,
        {
          t: m.generatedAt,
          rpoSeconds: null,
          entriesBehind: null,
          syncing: st['syncing'] ?? 0,
          errors: st['error'] ?? 0,
        },
        this.poolCap,
      );
    }
  }

  series(keys?: string[]): LagSeries[] {
    if (!keys) return [...this.pools].map(([key, points]) => ({ key, points }));
    return keys.map((key) => ({ key, points: this.pools.get(key) ?? this.images.get(key) ?? [] }));
  }
}

function push(map: Map<string, LagPoint[]>, key: string, p: LagPoint, cap: number): void {
  let a = map.get(key);
  if (!a) map.set(key, (a = []));
  a.push(p);
  if (a.length > cap) a.splice(0, a.length - cap);
}
