/**
 * Reading rbd-mirror states. The per-image status is what rbd-mirror last published (every ~30 s), not the
 * authoritative primary flag (that is `rbd info` → mirroring.primary); the demoted side can still say "local
 * image is primary" for tens of seconds (openstack-facts.md #7). Rules that depend on it say so in evidence.
 */
import type { ParsedDescription, ReplayInfo } from '../parsers/description';
import type { MirrorState } from '../parsers/mirror-pool-status';
import type { ImageMirrorMode, ImageSide, Rpo, SideRole } from './model';

const NON_PRIMARY_STATUS = new Set(['replaying', 'syncing', 'starting_replay', 'error']);
const NON_PRIMARY_TEXT =
  /remote image (demoted|is not primary)|^stopped$|split-brain|bootstrapping|replaying|syncing|error bootstrapping/i;

/** Primary / non-primary as far as the published mirror status tells. */
export function roleOf(state: MirrorState | null, description: string | null): SideRole {
  const d = description ?? '';
  // "orphan (force promoting)": the image was force-promoted here and the replayer is winding down.
  if (/local image is primary|force promoting/i.test(d)) return 'primary';
  if (state && NON_PRIMARY_STATUS.has(state.status)) return 'non-primary';
  if (NON_PRIMARY_TEXT.test(d)) return 'non-primary';
  return 'unknown';
}

export function modeOfReplay(replay: ReplayInfo | null, parsed?: ParsedDescription): ImageMirrorMode | null {
  if (replay) return replay.kind;
  // "remote image demoted" is what the snapshot-mode replayer says; the journal replayer says "stopped".
  if (parsed && /remote image demoted|non-primary snapshot/.test(parsed.text)) return 'snapshot';
  // Split-brain wording differs by mode (ceph-facts.md #13): journal "split-brain detected", snapshot "split-brain".
  if (parsed?.text === 'split-brain') return 'snapshot';
  if (parsed?.text === 'split-brain detected') return 'journal';
  return null;
}

/** Ceph prints last_update as "YYYY-MM-DD HH:MM:SS" in the cluster's local time; we read it as UTC. */
export function parseCephTime(s: string | null): number | null {
  if (!s) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(s);
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/**
 * A ctime(3) string as `rbd snap ls` prints a snapshot's timestamp ("Tue Dec  1 22:17:00 2026"), read as UTC: rbd
 * formats it in the host's zone, so the builders that need it run rbd with TZ=UTC (`dr.snapLsAll`).
 */
export function parseCtimeUtc(s: string | null): number | null {
  if (!s) return null;
  const m = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(s.trim());
  if (!m) return null;
  const mon = MONTHS.indexOf(m[1] ?? '');
  if (mon < 0) return null;
  return Date.UTC(Number(m[6]), mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

/** Effective RPO from the non-primary side(s): snapshot → now − last synced mirror snapshot; journal → lag. */
export function rpoOf(sides: ImageSide[], nowMs: number): Rpo | null {
  let best: Rpo | null = null;
  for (const s of sides) {
    const r = s.replay;
    if (!r || s.role === 'primary') continue;
    let cur: Rpo;
    if (r.kind === 'snapshot') {
      const ts = r.localSnapshotTimestamp;
      cur = {
        kind: 'snapshot',
        seconds: ts !== null && ts > 0 ? Math.max(0, Math.round(nowMs / 1000 - ts)) : null,
        entriesBehind: null,
        bytesPerSecond: r.bytesPerSecond,
        consistentAt: ts,
      };
    } else {
      cur = {
        kind: 'journal',
        seconds: r.secondsUntilSynced,
        entriesBehind: r.entriesBehindPrimary,
        bytesPerSecond: r.bytesPerSecond,
        consistentAt: null,
      };
    }
    // Worst side wins: the RPO of the image is that of its most stale copy.
    if (!best || (cur.seconds ?? -1) > (best.seconds ?? -1) || (cur.entriesBehind ?? -1) > (best.entriesBehind ?? -1))
      best = cur;
  }
  return best;
}
