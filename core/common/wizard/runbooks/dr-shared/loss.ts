/**
 * The data-loss window of an unplanned failover, from the survivor's last observation: journal images lose the
 * entries not yet replayed (`entries_behind_primary`, as last published), snapshot images everything written since
 * the last mirror snapshot copied here (now − `local_snapshot_timestamp`); a forced promote rolls back to it
 * (operator-pitfalls 4).
 */
import type { MirrorImageStatus } from '../../../parsers/mirror-pool-status';
import { parseCephTime } from '../../../topology/classify';
import { specOf, type DrImage } from './params';

export interface ImageLoss {
  image: string;
  mode: 'journal' | 'snapshot';
  /** Journal: entries the survivor had not replayed at its last status update. */
  entriesBehind: number | null;
  /** Snapshot: age of the last mirror snapshot copied to the survivor, seconds. */
  snapshotAgeSec: number | null;
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

export function lossWindow(
  images: DrImage[],
  status: Map<string, MirrorImageStatus | undefined>,
  lostSiteName: string,
  nowMs: number,
): LossWindow {
  const out: ImageLoss[] = [];
  let lastContactMs: number | null = null;
  for (const i of images) {
    const st = status.get(specOf(i));
    const r = st?.parsed.replay ?? null;
    const peer = st?.peers.find((p) => p.siteName === lostSiteName) ?? st?.peers[0];
    const contact = parseCephTime(peer?.lastUpdate ?? null);
    if (contact !== null) lastContactMs = Math.max(lastContactMs ?? 0, contact);
    const ts = r?.kind === 'snapshot' ? r.localSnapshotTimestamp : null;
    out.push({
      image: specOf(i),
      mode: i.mode,
      entriesBehind: r?.kind === 'journal' ? r.entriesBehindPrimary : null,
      snapshotAgeSec: ts !== null && ts > 0 ? Math.max(0, Math.round(nowMs / 1000 - ts)) : null,
      survivorState: st?.state?.raw ?? null,
      peerState: peer?.state?.raw ?? null,
      peerLastUpdate: peer?.lastUpdate ?? null,
      observedAt: st?.lastUpdate ?? null,
      missing: st === undefined,
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
  if (l.worstSnapshotAgeSec !== null)
    parts.push(
      `snapshot images lose up to ${l.worstSnapshotAgeSec} s of writes (age of the last mirror snapshot copied here)`,
    );
  if (l.maxEntriesBehind !== null)
    parts.push(`journal images lose up to ${l.maxEntriesBehind} journal entries not yet replayed`);
  if (l.lastContactMs !== null)
    parts.push(
      `last status from the lost site ${new Date(l.lastContactMs).toISOString()} (plus anything written after it)`,
    );
  if (l.unknown.length) parts.push(`unknown for ${l.unknown.join(', ')}`);
  return parts.join('; ') || 'no observation';
}
