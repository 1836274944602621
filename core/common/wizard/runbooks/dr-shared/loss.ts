/**
 * The data-loss window of an unplanned failover, from the survivor's last observation: journal images lose the
 * entries not yet replayed (`entries_behind_primary`, as last published), snapshot images everything written since
 * the last mirror snapshot copied here (now − `local_snapshot_timestamp`); a forced promote rolls back to it
 * (operator-pitfalls 4). A snapshot image whose status the survivor had not published yet (a fresh image: status
 * appears ~30 s late, ceph-facts.md 5) or no longer carries the timestamp takes it from the survivor's own newest
 * complete non-primary mirror snapshot: rbd gives it the primary snapshot's time (seen in the lab).
 */
import type { MirrorImageStatus } from '../../../parsers/mirror-pool-status';
import type { RbdSnapshot } from '../../../parsers/rbd';
import { parseCephTime, parseCtimeUtc } from '../../../topology/classify';
import { specOf, type DrImage } from './params';

export interface ImageLoss {
  image: string;
  mode: 'journal' | 'snapshot';
  /** Journal: entries the survivor had not replayed at its last status update. */
  entriesBehind: number | null;
  /** Snapshot: age of the last mirror snapshot copied to the survivor, seconds. */
  snapshotAgeSec: number | null;
  /** Where the snapshot age comes from: the published mirror status, or the survivor's snapshot list. */
  snapshotAgeFrom: 'status' | 'snapshots' | null;
  survivorState: string | null;
  /** How the survivor last saw the lost side (e.g. down+stopped) and when. */
  peerState: string | null;
  peerLastUpdate: string | null;
  /** The survivor's own status update time (its observation). */
  observedAt: string | null;
  missing: boolean;
}

export interface LossWindow {
  images: ImageLoss[];
  worstSnapshotAgeSec: number | null;
  maxEntriesBehind: number | null;
  /** The newest time the survivor heard from the lost site (peer last_update), ms. */
  lastContactMs: number | null;
  unknown: string[];
}

/** Seconds since epoch of the newest complete non-primary mirror snapshot (listed under TZ=UTC), or null. */
export function lastCopiedSnapshotSec(snaps: RbdSnapshot[]): number | null {
  let best: number | null = null;
  for (const s of snaps) {
    if (s.namespaceType !== 'mirror' || s.mirrorState !== 'non-primary' || s.complete !== true) continue;
    const t = parseCtimeUtc(s.timestamp);
    if (t !== null) best = Math.max(best ?? 0, t / 1000);
  }
  return best;
}

/** Snapshot images whose status gives no copied-snapshot time: the caller lists their snapshots on the survivor. */
export function needsSnapshotList(images: DrImage[], status: Map<string, MirrorImageStatus | undefined>): DrImage[] {
  return images.filter((i) => {
    if (i.mode !== 'snapshot') return false;
    const r = status.get(specOf(i))?.parsed.replay;
    return !(r?.kind === 'snapshot' && r.localSnapshotTimestamp !== null && r.localSnapshotTimestamp > 0);
  });
}

export function lossWindow(
  images: DrImage[],
  status: Map<string, MirrorImageStatus | undefined>,
  lostSiteName: string,
  nowMs: number,
  /** Survivor's newest copied mirror snapshot per image spec (seconds), for images `needsSnapshotList` named. */
  copiedSnapshotSec: Map<string, number | null> = new Map(),
): LossWindow {
  const out: ImageLoss[] = [];
  let lastContactMs: number | null = null;
  for (const i of images) {
    const st = status.get(specOf(i));
    const r = st?.parsed.replay ?? null;
    const peer = st?.peers.find((p) => p.siteName === lostSiteName) ?? st?.peers[0];
    const contact = parseCephTime(peer?.lastUpdate ?? null);
    if (contact !== null) lastContactMs = Math.max(lastContactMs ?? 0, contact);
    const fromStatus = r?.kind === 'snapshot' && (r.localSnapshotTimestamp ?? 0) > 0 ? r.localSnapshotTimestamp : null;
    const fromSnaps = i.mode === 'snapshot' && fromStatus === null ? (copiedSnapshotSec.get(specOf(i)) ?? null) : null;
    const ts = fromStatus ?? fromSnaps;
    out.push({
      image: specOf(i),
      mode: i.mode,
      entriesBehind: r?.kind === 'journal' ? r.entriesBehindPrimary : null,
      snapshotAgeSec: ts !== null && ts > 0 ? Math.max(0, Math.round(nowMs / 1000 - ts)) : null,
      snapshotAgeFrom: fromStatus !== null ? 'status' : fromSnaps !== null ? 'snapshots' : null,
      survivorState: st?.state?.raw ?? null,
      peerState: peer?.state?.raw ?? null,
      peerLastUpdate: peer?.lastUpdate ?? null,
      observedAt: st?.lastUpdate ?? null,
      missing: st === undefined && fromSnaps === null,
    });
  }
  const ages = out.map((x) => x.snapshotAgeSec).filter((x): x is number => x !== null);
  const behind = out.map((x) => x.entriesBehind).filter((x): x is number => x !== null);
  const unknown = out
    .filter((x) => (x.mode === 'snapshot' ? x.snapshotAgeSec === null : x.entriesBehind === null))
    .map((x) => x.image);
  return {
    images: out,
    worstSnapshotAgeSec: ages.length ? Math.max(...ages) : null,
    maxEntriesBehind: behind.length ? Math.max(...behind) : null,
    lastContactMs,
    unknown,
  };
}

export function describeLoss(l: LossWindow): string {
  const parts: string[] = [];
  if (l.worstSnapshotAgeSec !== null) {
    const listed = l.images.filter((x) => x.snapshotAgeFrom === 'snapshots').length;
    parts.push(
      `snapshot images lose up to ${l.worstSnapshotAgeSec} s of writes (age of the last mirror snapshot copied here${listed ? `; ${listed} from the snapshot list, no status published: that copy's start, the primary's snapshot can be a little older` : ''})`,
    );
  }
  if (l.maxEntriesBehind !== null)
    parts.push(`journal images lose up to ${l.maxEntriesBehind} journal entries not yet replayed`);
  if (l.lastContactMs !== null)
    parts.push(
      `last status from the lost site ${new Date(l.lastContactMs).toISOString()} (plus anything written after it)`,
    );
  if (l.unknown.length) parts.push(`unknown for ${l.unknown.join(', ')}`);
  return parts.join('; ') || 'no observation';
}
