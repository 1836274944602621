/**
 * The image table's data on the host side: one flat row per logical image, built once per model/findings change,
 * with the sort orders and the last filter kept as index arrays. The renderer asks for a window
 * (`topology.images`): at 20k–100k images it never holds, parses or makes reactive the whole list, and a filter is
 * one scan over flat strings here instead of a 40 MiB snapshot crossing the WebSocket.
 */
import type { Finding, Severity } from './health/finding';
import type { ImageNode, TopologyModel } from './model';

/** One table row per logical image. */
export interface ImageRow {
  key: string;
  name: string;
  pool: string;
  mode: ImageNode['mode'];
  kind: ImageNode['openstack']['kind'];
  osName: string;
  primaries: string;
  sites: string;
  /** `site:state` per side, for display and search. */
  states: string;
  worst: Severity | 'ok';
  rpo: number | null;
  entriesBehind: number | null;
  syncPercent: number | null;
}

export const IMAGE_SORT_KEYS = ['name', 'pool', 'mode', 'kind', 'worst', 'rpo', 'states'] as const;
export type ImageSortKey = (typeof IMAGE_SORT_KEYS)[number];

export interface ImageFilter {
  /** Case-insensitive substring of name, pool, OpenStack name/id, global id or `site:state`. */
  text?: string;
  /** A side state (`up+replaying`, …): rows having it on some side. */
  state?: string;
  health?: Severity | 'ok' | '';
  site?: string;
  kind?: ImageNode['openstack']['kind'] | '';
}

export interface ImageQuery extends ImageFilter {
  sort?: ImageSortKey;
  asc?: boolean;
  offset?: number;
  limit?: number;
}

export interface ImagePage {
  /** Changes whenever the model or the findings behind the rows change (discovery, refresh). */
  version: number;
  total: number;
  matched: number;
  offset: number;
  rows: ImageRow[];
}

/** Worst first; an image's rank is its index here (the index keeps ranks, not names, per image). */
const SEVERITIES: readonly (Severity | 'ok')[] = ['error', 'warning', 'info', 'ok'];
const RANK = Object.fromEntries(SEVERITIES.map((s, k) => [s, k])) as Record<Severity | 'ok', number>;
export const MAX_PAGE = 1000;

/** Worst finding severity per image key. */
export function worstByImage(findings: readonly Finding[]): Map<string, Severity> {
  const m = new Map<string, Severity>();
  for (const f of findings) {
    if (!f.imageKey) continue;
    const cur = m.get(f.imageKey);
    if (!cur || RANK[f.severity] < RANK[cur]) m.set(f.imageKey, f.severity);
  }
  return m;
}

/** `site:state` per side, as the table shows and searches it. */
export function statesOf(i: ImageNode): string {
  return i.sides.map((s) => `${s.site}:${s.state ?? (s.mirrored ? '?' : 'not mirrored')}`).join(' ');
}

export function imageRow(i: ImageNode, worst: Severity | 'ok' | undefined): ImageRow {
  const states = statesOf(i);
  return {
    key: i.key,
    name: i.name,
    pool: i.pool,
    mode: i.mode,
    kind: i.openstack.kind,
    osName: i.openstack.name ?? i.openstack.id ?? '',
    primaries: i.primaries.join(','),
    sites: i.sides.map((s) => s.site).join(','),
    states,
    worst: worst ?? 'ok',
    rpo: i.rpo?.seconds ?? null,
    entriesBehind: i.rpo?.entriesBehind ?? null,
    syncPercent: i.sides.find((s) => s.syncPercent !== null)?.syncPercent ?? null,
  };
}

/**
 * Search strings, worst severity and sort orders over one model + findings. Immutable: a new model or new findings
 * make a new index (cheap: ~one pass per image), so a query never sees half an update. Rows are made for the
 * window asked for only (≤ MAX_PAGE): holding 20k row objects beside the model cost ~10 MiB of the host's heap for
 * copies of what the images already say.
 */
export class ImageIndex {
  readonly stateOptions: string[];
  private readonly search: string[];
  /** RANK of each image's worst finding (3 = ok). */
  private readonly worst: Uint8Array;
  private readonly orders = new Map<string, Uint32Array>();
  private last: { key: string; hits: Uint32Array } | null = null;

  private readonly images: readonly ImageNode[];

  /**
   * `prev`: the index of the same image list with older findings (a summary refresh every 5 s keeps the images and
   * re-evaluates health): the search strings and every sort order but health's are reused, and health's too when
   * no image's worst severity changed. A full rebuild cost ~0.3 s of the host's one thread at 20k images on every
   * refresh, which a filter typed meanwhile had to wait for.
   */
  constructor(
    model: Pick<TopologyModel, 'images'>,
    findings: readonly Finding[],
    readonly version: number,
    prev?: ImageIndex,
  ) {
    const images = (this.images = model.images);
    const byKey = worstByImage(findings);
    this.worst = new Uint8Array(images.length);
    for (let k = 0; k < images.length; k++) {
      const w = byKey.get((images[k] as ImageNode).key);
      this.worst[k] = w ? RANK[w] : RANK.ok;
    }
    if (prev && prev.images === images) {
      const changed = prev.worst.some((w, k) => w !== this.worst[k]);
      this.search = prev.search;
      this.stateOptions = prev.stateOptions;
      for (const [k, v] of prev.orders) if (!changed || !k.startsWith('worst:')) this.orders.set(k, v);
      if (!changed) this.last = prev.last;
      this.order('worst', true);
      return;
    }
    const states = new Set<string>();
    this.search = images.map((i) => {
      for (const s of i.sides) if (s.state) states.add(s.state);
      const os = i.openstack.name ?? i.openstack.id ?? '';
      return `${i.name} ${i.pool} ${os} ${i.globalId ?? ''} ${statesOf(i)}`.toLowerCase();
    });
    this.stateOptions = [...states].sort();
    // The default order is what the table opens with: build it now, off the first-render path.
    this.order('worst', true);
  }

  /** The table row of image `k` (made on demand). */
  private row(k: number): ImageRow {
    return imageRow(this.images[k] as ImageNode, severityOf(this.worst[k] ?? RANK.ok));
  }

  /** Row indexes in sort order (cached per key and direction). */
  private order(key: ImageSortKey, asc: boolean): Uint32Array {
    const id = `${key}:${asc ? 'a' : 'd'}`;
    const have = this.orders.get(id);
    if (have) return have;
    const images = this.images;
    const val = (i: ImageNode, k: number): string | number => {
      switch (key) {
        case 'worst':
          return this.worst[k] ?? RANK.ok;
        case 'rpo':
          return i.rpo?.seconds ?? -1;
        case 'kind':
          return i.openstack.kind;
        case 'states':
          return statesOf(i);
        default:
          return i[key];
      }
    };
    const keys = images.map(val);
    const dir = asc ? 1 : -1;
    const idx = Uint32Array.from(images.keys()).sort((a, b) => {
      const x = keys[a] as string | number;
      const y = keys[b] as string | number;
      if (x !== y) return (x < y ? -1 : 1) * dir;
      const na = (images[a] as ImageNode).name;
      const nb = (images[b] as ImageNode).name;
      return (na < nb ? -1 : na > nb ? 1 : a - b) * dir;
    });
    this.orders.set(id, idx);
    return idx;
  }

  /** Indexes of the rows matching `f`, in the order asked for; the last answer is kept for paging through it. */
  private hits(f: ImageFilter, sort: ImageSortKey, asc: boolean): Uint32Array {
    const t = (f.text ?? '').trim().toLowerCase();
    const st = f.state ?? '';
    const h = f.health ? RANK[f.health] : -1;
    const si = f.site ?? '';
    const kd = f.kind ?? '';
    const order = this.order(sort, asc);
    if (!t && !st && h < 0 && !si && !kd) return order;
    const key = JSON.stringify([t, st, h, si, kd, sort, asc]);
    if (this.last?.key === key) return this.last.hits;
    const out = new Uint32Array(order.length);
    let n = 0;
    for (const k of order) {
      if (t && !(this.search[k] as string).includes(t)) continue;
      if (h >= 0 && this.worst[k] !== h) continue;
      const i = this.images[k] as ImageNode;
      if (kd && i.openstack.kind !== kd) continue;
      if (st && !i.sides.some((s) => s.state === st)) continue;
      if (si && !i.sides.some((s) => s.site === si)) continue;
      out[n++] = k;
    }
    const hits = out.slice(0, n);
    this.last = { key, hits };
    return hits;
  }

  /** One window of the filtered, sorted rows (limit capped at MAX_PAGE). */
  query(q: ImageQuery = {}): ImagePage {
    const hits = this.hits(q, q.sort ?? 'worst', q.asc ?? true);
    const offset = Math.max(0, Math.min(Math.floor(q.offset ?? 0), hits.length));
    const limit = Math.max(0, Math.min(Math.floor(q.limit ?? 100), MAX_PAGE));
    const rows: ImageRow[] = [];
    for (let k = offset; k < Math.min(hits.length, offset + limit); k++) rows.push(this.row(hits[k] as number));
    return { version: this.version, total: this.images.length, matched: hits.length, offset, rows };
  }
}

function severityOf(rank: number): Severity | 'ok' {
  return SEVERITIES[rank] ?? 'ok';
}
