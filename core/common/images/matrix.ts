/**
 * buildImageMatrix: Glance's three properties per store, checked against each store's own cluster from the bulk
 * `rbd ls -l` listing of the store's pool (one call per pool, already made by topology discovery). Extends the
 * topology's glanceMatrix (which only knows "object present") with the protected `@snap`, clone counts, sizes,
 * copy progress and the format check.
 */
import type { RbdListedImage } from '../parsers/rbd';
import type { ClusterObservation, TopologyModel } from '../topology/model';
import type {
  CellState,
  DataCheck,
  FormatCheck,
  ImageCell,
  ImageMatrix,
  ImageRow,
  MatrixFilter,
  StoreColumn,
} from './model';
import { copyProgressFor, type ImportTask } from './tasks';
import { measuredProgress, type StoreMeasurement } from './progress';

export interface MatrixInput {
  model: TopologyModel;
  /** Raw cluster observations (they hold the `rbd ls -l` rows with snapshots and parent links). */
  clusters: ClusterObservation[];
  /** Import tasks of images with a copy running, by image id. */
  tasks?: Record<string, ImportTask[]>;
  /** What the target stores hold of the copies running, by `image id/store` (progress.ts). */
  measurements?: Record<string, StoreMeasurement>;
  /** Format checks by image id. */
  formats?: Record<string, FormatCheck>;
  now?: number;
}

/** `cluster/pool` → listing (null when the pool was not listed). */
export function listingsOf(clusters: ClusterObservation[]): Map<string, RbdListedImage[] | null> {
  const m = new Map<string, RbdListedImage[] | null>();
  for (const c of clusters) for (const p of c.pools) m.set(`${c.cluster}/${p.pool}`, p.verbose ? p.listing : null);
  return m;
}

/** Clones per `cluster/parentPool/parentImage`, from the parent links of every listed image. */
export function cloneCounts(clusters: ClusterObservation[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of clusters)
    for (const p of c.pools)
      for (const i of p.listing ?? []) {
        if (!i.parent) continue;
        const k = `${c.cluster}/${i.parent.pool}/${i.parent.image}`;
        m.set(k, (m.get(k) ?? 0) + 1);
      }
  return m;
}

export function cellState(listed: boolean, importing: boolean, failed: boolean): CellState {
  if (importing) return 'importing';
  if (listed) return 'present';
  if (failed) return 'failed';
  return 'absent';
}

function dataCheck(
  listing: RbdListedImage[] | null | undefined,
  isRbd: boolean,
  imageId: string,
  listed: boolean,
): { data: DataCheck; bytes: number | null } {
  if (!isRbd) return { data: 'file-store', bytes: null };
  if (!listing) return { data: 'unchecked', bytes: null };
  const obj = listing.find((i) => i.name === imageId);
  if (!obj) return { data: listed ? 'no-object' : 'none', bytes: null };
  if (!listed) return { data: 'stray', bytes: obj.size };
  const snap = obj.snapshots.find((x) => x.name === 'snap');
  if (!snap) return { data: 'no-snap', bytes: obj.size };
  return { data: snap.protected === false ? 'snap-unprotected' : 'ok', bytes: obj.size };
}

const PROBLEM: Partial<Record<DataCheck, (store: string, where: string) => string>> = {
  'no-object': (s, w) => `Glance lists store ${s} but ${w} has no RBD object for it`,
  'no-snap': (s, w) => `${w}: the image has no @snap in store ${s} (nothing to clone from)`,
  'snap-unprotected': (s, w) => `${w}: @snap is not protected in store ${s} (clones will fail)`,
  stray: (s, w) =>
    `${w} holds data for this image but Glance does not list store ${s} (a failed or running copy, or an rbd-mirror replica)`,
};

/** The store × image matrix. Pure: everything it needs was observed before. */
export function buildImageMatrix(input: MatrixInput): ImageMatrix {
  const { model } = input;
  const listings = listingsOf(input.clusters);
  const clones = cloneCounts(input.clusters);
  const columns: StoreColumn[] = model.glanceStores.map((s) => ({
    id: s.id,
    site: s.site,
    cluster: s.cluster,
    pool: s.pool,
    type: s.type,
    isDefault: s.isDefault,
    totals: { present: 0, importing: 0, failed: 0, absent: 0, bytes: 0, problems: 0 },
  }));
  const problems: string[] = [];
  const os = model.openstack;
  if (!os) problems.push('no OpenStack controller in the inventory: Glance not observed');
  else if (!os.reachable) problems.push(`Glance not observed: ${os.reason ?? 'unreachable'}`);
  for (const [k, v] of Object.entries(os?.errors ?? {})) problems.push(`OpenStack ${k}: ${v}`);
  for (const c of columns) {
    if (c.cluster && c.pool && listings.get(`${c.cluster}/${c.pool}`) == null) {
      problems.push(`store ${c.id}: pool ${c.cluster}/${c.pool} not listed, its cells are unchecked`);
    }
  }
  const users = new Map<string, number>();
  for (const s of os?.servers ?? []) if (s.imageId) users.set(s.imageId, (users.get(s.imageId) ?? 0) + 1);
  for (const v of os?.volumes ?? []) if (v.imageId) users.set(v.imageId, (users.get(v.imageId) ?? 0) + 1);
  const rows: ImageRow[] = (os?.images ?? []).map((g) => {
    const cells: Record<string, ImageCell> = {};
    const rowProblems: string[] = [];
    for (const col of columns) {
      const isRbd = col.cluster !== null && col.pool !== null && col.type !== 'file';
      const listed = g.stores.includes(col.id);
      const importing = g.importingToStores.includes(col.id);
      const failed = g.failedImportStores.includes(col.id);
      const where = `${col.cluster ?? '?'}/${col.pool ?? '?'}`;
      const d = dataCheck(isRbd ? listings.get(where) : null, isRbd, g.id, listed);
      // A copy in flight writes the object before Glance lists the store: not a problem while importing.
      const problem = importing && d.data === 'stray' ? null : (PROBLEM[d.data]?.(col.id, where) ?? null);
      const state = cellState(listed, importing, failed);
      const m = input.measurements?.[`${g.id}/${col.id}`] ?? null;
      const progress = importing
        ? measuredProgress({
            base: copyProgressFor(input.tasks?.[g.id] ?? [], col.id, g.size),
            measurement: m,
            totalBytes: g.size,
            listed: false,
            attempt: null,
          })
        : null;
      cells[col.id] = {
        state,
        data: d.data,
        listed,
        importing,
        failed,
        rbdBytes: d.bytes,
        clones: isRbd ? (clones.get(`${where}/${g.id}`) ?? 0) : 0,
        progress,
        problem,
      };
      if (problem) rowProblems.push(problem);
      if (failed) rowProblems.push(`copy to ${col.id} failed (os_glance_failed_import)`);
      col.totals[state]++;
      if (state === 'present') col.totals.bytes += g.size ?? d.bytes ?? 0;
      if (problem) col.totals.problems++;
    }
    const format = input.formats?.[g.id] ?? null;
    if (format?.mislabelled)
      rowProblems.push(
        `declared ${format.declared ?? '?'} but the data is ${format.detected ?? '?'} (${format.source ?? ''}): clones will not boot`,
      );
    return {
      id: g.id,
      name: g.name,
      status: g.status,
      diskFormat: g.diskFormat,
      size: g.size,
      cells,
      users: users.get(g.id) ?? 0,
      format,
      problems: rowProblems,
    };
  });
  rows.sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id));
  return { generatedAt: input.now ?? model.generatedAt, stores: columns, rows, problems };
}

/** Rows matching every given criterion. */
export function filterMatrix(m: ImageMatrix, f: MatrixFilter): ImageRow[] {
  const text = f.text?.trim().toLowerCase();
  return m.rows.filter((r) => {
    if (text && !(r.name ?? '').toLowerCase().includes(text) && !r.id.includes(text)) return false;
    if (f.store && f.states && f.states.length > 0) {
      const c = r.cells[f.store];
      if (!c || !f.states.includes(c.state)) return false;
    }
    if (f.problemsOnly && r.problems.length === 0) return false;
    if (f.importingOnly && !Object.values(r.cells).some((c) => c.importing)) return false;
    return true;
  });
}
