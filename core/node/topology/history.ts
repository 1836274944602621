/** Lag/RPO over time, kept in memory: one series per pool (worst image) and one per image with replay data. */
import type { LagPoint, LagSeries } from '../../common/contract/topology';
import type { TopologyModel } from '../../common/topology/model';

export class LagHistory {
  private readonly pools = new Map<string, LagPoint[]>();
  private readonly images = new ImageSeries();
  constructor(
    private readonly poolCap = 720,
    private readonly imageCap = 60,
    /**
     * Per-image points kept in all: 60 points × 20k images would hold ~100 MiB as objects for a plot nobody reads
     * whole; as flat columns (ImageSeries) the budget is ~3.4 MiB.
     */
    private readonly imagePointBudget = 200_000,
  ) {}

  record(m: TopologyModel): void {
    const t = m.generatedAt;
    const agg = new Map<string, LagPoint>();
    const withRpo = m.images.reduce((n, i) => n + (i.rpo ? 1 : 0), 0);
    const cap = Math.max(2, Math.min(this.imageCap, Math.floor(this.imagePointBudget / Math.max(1, withRpo))));
    // Images gone from the model take their series with them.
    if (this.images.size > withRpo) this.images.keep(new Set(m.images.map((i) => i.key)));
    this.images.resize(cap, withRpo);
    for (const img of m.images) {
      const r = img.rpo;
      const syncing = img.sides.some(
        (s) => s.status === 'syncing' || (s.replay?.kind === 'snapshot' && s.replay.replayState === 'syncing'),
      )
        ? 1
        : 0;
      if (r) this.images.push(img.key, t, r.seconds, r.entriesBehind, syncing);
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
    return keys.map((key) => ({ key, points: this.pools.get(key) ?? this.images.points(key) }));
  }
}

/**
 * One ring of `cap` points per image in flat typed arrays (time, RPO, entries behind, syncing): at 20k images and
 * 10 points each this is ~3.4 MiB where LagPoint objects in arrays held ~25 MiB of the host's heap. Null is NaN.
 */
export class ImageSeries {
  private readonly slots = new Map<string, number>();
  private free: number[] = [];
  private cap = 0;
  private capacity = 0;
  private t = new Float64Array(0);
  private rpo = new Float32Array(0);
  private behind = new Float32Array(0);
  private syncing = new Uint8Array(0);
  /** Per slot: index of its oldest point and how many it holds. */
  private start = new Uint16Array(0);
  private len = new Uint16Array(0);

  get size(): number {
    return this.slots.size;
  }

  /** Drops the series of images not in `live`. */
  keep(live: ReadonlySet<string>): void {
    for (const [k, slot] of this.slots)
      if (!live.has(k)) {
        this.slots.delete(k);
        this.len[slot] = 0;
        this.free.push(slot);
      }
  }

  /**
   * Points per image from now on (the newest ones are kept when it shrinks), and room for `images` series (exact:
   * the caller knows how many it will push; growing by doubling left a third of the columns unused at 20k).
   */
  resize(cap: number, images = 0): void {
    const want = Math.max(images, this.slots.size + this.free.length, 1);
    if (cap !== this.cap || want > this.capacity || want < this.capacity / 2) this.realloc(want, cap);
  }

  push(key: string, t: number, rpo: number | null, behind: number | null, syncing: number): void {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.slots.size;
      if (slot >= this.capacity) this.realloc(Math.max(64, this.capacity * 2), this.cap);
      this.slots.set(key, slot);
      this.start[slot] = 0;
      this.len[slot] = 0;
    }
    const n = this.len[slot] ?? 0;
    const s = this.start[slot] ?? 0;
    let at: number;
    if (n < this.cap) {
      at = (s + n) % this.cap;
      this.len[slot] = n + 1;
    } else {
      at = s;
      this.start[slot] = (s + 1) % this.cap;
    }
    const i = slot * this.cap + at;
    this.t[i] = t;
    this.rpo[i] = rpo ?? NaN;
    this.behind[i] = behind ?? NaN;
    this.syncing[i] = syncing;
  }

  points(key: string): LagPoint[] {
    const slot = this.slots.get(key);
    if (slot === undefined) return [];
    const out: LagPoint[] = [];
    const s = this.start[slot] ?? 0;
    for (let j = 0; j < (this.len[slot] ?? 0); j++) {
      const i = slot * this.cap + ((s + j) % this.cap);
      const r = this.rpo[i] ?? NaN;
      const b = this.behind[i] ?? NaN;
      out.push({
        t: this.t[i] ?? 0,
        rpoSeconds: Number.isNaN(r) ? null : r,
        entriesBehind: Number.isNaN(b) ? null : b,
        syncing: this.syncing[i] ?? 0,
        errors: 0,
      });
    }
    return out;
  }

  /** New arrays of `capacity` slots × `cap` points, each slot's newest points copied over. */
  private realloc(capacity: number, cap: number): void {
    const old = { t: this.t, rpo: this.rpo, behind: this.behind, syncing: this.syncing, cap: this.cap };
    const oldStart = this.start;
    const oldLen = this.len;
    this.t = new Float64Array(capacity * cap);
    this.rpo = new Float32Array(capacity * cap);
    this.behind = new Float32Array(capacity * cap);
    this.syncing = new Uint8Array(capacity * cap);
    this.start = new Uint16Array(capacity);
    this.len = new Uint16Array(capacity);
    for (const slot of this.slots.values()) {
      const n = oldLen[slot] ?? 0;
      const keep = Math.min(n, cap);
      for (let j = 0; j < keep; j++) {
        const from = slot * old.cap + (((oldStart[slot] ?? 0) + n - keep + j) % old.cap);
        const to = slot * cap + j;
        this.t[to] = old.t[from] ?? 0;
        this.rpo[to] = old.rpo[from] ?? NaN;
        this.behind[to] = old.behind[from] ?? NaN;
        this.syncing[to] = old.syncing[from] ?? 0;
      }
      this.len[slot] = keep;
    }
    this.capacity = capacity;
    this.cap = cap;
  }
}

function push(map: Map<string, LagPoint[]>, key: string, p: LagPoint, cap: number): void {
  let a = map.get(key);
  if (!a) map.set(key, (a = []));
  a.push(p);
  if (a.length > cap) a.splice(0, a.length - cap);
}
