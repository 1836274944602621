/**
 * rbd-mirror's per-image `description` is free text with JSON inside ("replaying, {...}") since Octopus, and
 * plain `key=value` text before (ceph-facts.md #10, operator-pitfalls.md #12). This turns either into numbers.
 */

export interface JournalReplay {
  kind: 'journal';
  bytesPerSecond: number | null;
  entriesPerSecond: number | null;
  entriesBehindPrimary: number | null;
  /** null when absent or absurd: rbd-mirror reports uint64-ish sentinels (578712552117108736) while a peer is down. */
  secondsUntilSynced: number | null;
  primaryPosition: JournalPosition | null;
  nonPrimaryPosition: JournalPosition | null;
}
export interface JournalPosition {
  objectNumber: number;
  tagTid: number;
  entryTid: number;
}
export interface SnapshotReplay {
  kind: 'snapshot';
  replayState: string | null;
  bytesPerSecond: number | null;
  bytesPerSnapshot: number | null;
  lastSnapshotBytes: number | null;
  lastSnapshotSyncSeconds: number | null;
  /** Unix seconds of the last mirror snapshot copied here (the remote consistency point). */
  localSnapshotTimestamp: number | null;
  remoteSnapshotTimestamp: number | null;
  syncingPercent: number | null;
  syncingSnapshotTimestamp: number | null;
}
export type ReplayInfo = JournalReplay | SnapshotReplay;

export interface ParsedDescription {
  /** The text before the JSON (or the whole text), e.g. "replaying", "split-brain detected". */
  text: string;
  replay: ReplayInfo | null;
  /** Image sync progress ("bootstrapping, IMAGE_SYNC/COPY_IMAGE 45%") or snapshot syncing_percent. */
  syncPercent: number | null;
  splitBrain: boolean;
}

/** A week; anything longer from seconds_until_synced is a sentinel, not an estimate. */
export const MAX_PLAUSIBLE_SECONDS = 7 * 24 * 3600;

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function position(v: unknown): JournalPosition | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const objectNumber = num(o['object_number']);
  const tagTid = num(o['tag_tid']);
  const entryTid = num(o['entry_tid']);
  if (objectNumber === null || tagTid === null || entryTid === null) return null;
  return { objectNumber, tagTid, entryTid };
}

export function clampSeconds(v: unknown): number | null {
  const n = num(v);
  if (n === null || n < 0 || n > MAX_PLAUSIBLE_SECONDS) return null;
  return n;
}

function fromJson(o: Record<string, unknown>): ReplayInfo | null {
  if ('replay_state' in o || 'local_snapshot_timestamp' in o || 'remote_snapshot_timestamp' in o) {
    return {
      kind: 'snapshot',
      replayState: typeof o['replay_state'] === 'string' ? o['replay_state'] : null,
      bytesPerSecond: num(o['bytes_per_second']),
      bytesPerSnapshot: num(o['bytes_per_snapshot']),
      lastSnapshotBytes: num(o['last_snapshot_bytes']),
      lastSnapshotSyncSeconds: num(o['last_snapshot_sync_seconds']),
      localSnapshotTimestamp: num(o['local_snapshot_timestamp']),
      remoteSnapshotTimestamp: num(o['remote_snapshot_timestamp']),
      syncingPercent: num(o['syncing_percent']),
      syncingSnapshotTimestamp: num(o['syncing_snapshot_timestamp']),
    };
  }
  if ('entries_behind_primary' in o || 'primary_position' in o || 'non_primary_position' in o) {
    return {
      kind: 'journal',
      bytesPerSecond: num(o['bytes_per_second']),
      entriesPerSecond: num(o['entries_per_second']),
      entriesBehindPrimary: num(o['entries_behind_primary']),
      secondsUntilSynced: clampSeconds(o['seconds_until_synced']),
      primaryPosition: position(o['primary_position']),
      nonPrimaryPosition: position(o['non_primary_position']),
    };
  }
  return null;
}

// Pre-Octopus: "replaying, master_position=[object_number=1, tag_tid=2, entry_tid=3], mirror_position=[...],
// entries_behind_master=2"
const OLD_POS = /(master|mirror)_position=\[object_number=(\d+), tag_tid=(\d+), entry_tid=(\d+)\]/g;
function fromOldText(s: string): JournalReplay | null {
  const behind = /entries_behind_master=(\d+)/.exec(s);
  if (!behind && !s.includes('master_position=')) return null;
  let primary: JournalPosition | null = null;
  let nonPrimary: JournalPosition | null = null;
  for (const m of s.matchAll(OLD_POS)) {
    const p = { objectNumber: Number(m[2]), tagTid: Number(m[3]), entryTid: Number(m[4]) };
    if (m[1] === 'master') primary = p;
    else nonPrimary = p;
  }
  return {
    kind: 'journal',
    bytesPerSecond: null,
    entriesPerSecond: null,
    entriesBehindPrimary: behind ? Number(behind[1]) : null,
    secondsUntilSynced: null,
    primaryPosition: primary,
    nonPrimaryPosition: nonPrimary,
  };
}

export function parseDescription(description: string | null | undefined): ParsedDescription {
  const d = description ?? '';
  const splitBrain = /split-brain/i.test(d);
  let text = d;
  let replay: ReplayInfo | null = null;
  const brace = d.indexOf('{');
  if (brace >= 0) {
    text = d.slice(0, brace).replace(/[,\s]+$/, '');
    try {
      const parsed = JSON.parse(d.slice(brace)) as unknown;
      if (parsed && typeof parsed === 'object') replay = fromJson(parsed as Record<string, unknown>);
    } catch (e) {
      // Truncated or unknown JSON in a description is kept as text; the numbers are simply unknown.
      void e;
    }
  } else {
    replay = fromOldText(d);
    if (replay) text = d.split(',')[0] ?? d;
  }
  let syncPercent: number | null = replay?.kind === 'snapshot' ? replay.syncingPercent : null;
  if (syncPercent === null && brace < 0) {
    const pct = /(\d+(?:\.\d+)?)%/.exec(d);
    if (pct) syncPercent = Number(pct[1]);
  }
  return { text, replay, syncPercent, splitBrain };
}
