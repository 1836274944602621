/**
 * The image-distribution model: one row per Glance image, one cell per Glance store, each cell holding what
 * Glance says (listed, importing, failed) AND what the store's own cluster holds (the RBD object named after the
 * image id and its protected `@snap`, the only thing Nova/Cinder can clone from). Plain data: it crosses the
 * contract.
 */
import type { SiteUsage } from './usage';

/** What the console calls the cell, from Glance's three properties (importing wins, then failed, then listed). */
export type CellState = 'present' | 'importing' | 'failed' | 'absent';

/**
 * What the store's cluster holds for this image:
 * ok = object + protected `snap`; no-object / no-snap / snap-unprotected = Glance may say otherwise;
 * stray = data there although Glance does not list the store (a failed or running copy's leftovers);
 * unchecked = the pool was not observed; file-store = not an RBD store (nothing to check from Ceph).
 */
export type DataCheck =
  'ok' | 'no-object' | 'no-snap' | 'snap-unprotected' | 'stray' | 'unchecked' | 'file-store' | 'none';

export interface CopyProgress {
  /** Bytes the latest import task reports as copied ("Copied 64 MiB"), null when no task says. */
  copiedBytes: number | null;
  totalBytes: number | null;
  /** 0–100 when both are known. */
  percent: number | null;
  taskStatus: string | null;
  taskMessage: string | null;
  /** Bytes found in the target store itself (RBD used size / file size), null until measured (progress.ts). */
  measuredBytes: number | null;
  /** Where they were measured: `site-b/images/<id> (rbd du)`. */
  measuredAt: string | null;
  phase: CopyPhase | null;
  /** copy-image attempts for this store since the copy was started (a retry shows as 2, 3…). */
  attempt: number | null;
  /** Why the last measurement failed (shown; the previous figures stay). */
  measureError: string | null;
}

/**
 * staging = nothing in the target store yet (Glance copies the data out of a store that has it into its staging
 * area first, or has not started); writing = the target object/file grows; finishing = data written, Glance
 * snapshots and records the location; done = Glance lists the store.
 */
export type CopyPhase = 'staging' | 'writing' | 'finishing' | 'done';

export interface ImageCell {
  state: CellState;
  data: DataCheck;
  listed: boolean;
  importing: boolean;
  failed: boolean;
  /** RBD object size in this store's cluster (bytes), when observed. */
  rbdBytes: number | null;
  /** Clones in this store's cluster whose parent is this image (servers' disks, volumes, other images). */
  clones: number;
  /** Set while a copy to this store runs. */
  progress: CopyProgress | null;
  /** One line when Glance and the cluster disagree. */
  problem: string | null;
}

export type DetectedFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhdx' | 'vdi' | 'unknown';
export interface FormatCheck {
  declared: string | null;
  detected: DetectedFormat | null;
  /** Where the header was read (cluster/pool/image@snap) and its first bytes in hex. */
  source: string | null;
  head: string | null;
  error: string | null;
  /** Declared raw but the data says otherwise: clones of it will not boot. */
  mislabelled: boolean;
}

export interface ImageRow {
  id: string;
  name: string | null;
  status: string | null;
  diskFormat: string | null;
  size: number | null;
  cells: Record<string, ImageCell>;
  /** Servers and volumes built from this image (from Nova/Cinder). */
  users: number;
  format: FormatCheck | null;
  /** Problems of any cell, plus the format problem. */
  problems: string[];
}

export interface StoreColumn {
  id: string;
  site: string | null;
  cluster: string | null;
  pool: string | null;
  type: string | null;
  isDefault: boolean;
  totals: { present: number; importing: number; failed: number; absent: number; bytes: number; problems: number };
}

export interface ImageMatrix {
  generatedAt: number;
  stores: StoreColumn[];
  rows: ImageRow[];
  /** Why some of it is unknown (a site down, Glance unreachable). */
  problems: string[];
}

export interface MatrixFilter {
  /** Substring of the name or id (case-insensitive). */
  text?: string;
  /** Only rows whose cell in `store` has one of `states`. */
  store?: string;
  states?: CellState[];
  /** Only rows with at least one problem (disagreement or mislabelled format). */
  problemsOnly?: boolean;
  /** Only rows with a copy running somewhere. */
  importingOnly?: boolean;
}

/** One observation: the matrix, usage risk per site, and what it cost. */
export interface ImagesSnapshot {
  matrix: ImageMatrix;
  usage: SiteUsage[];
  durationMs: number;
  /** Remote commands this observation took (bulk: per pool / per cluster, never per image). */
  commands: number;
}
