/**
 * Observations shared by the DR wizards' preconditions, waits and verifications: one bulk call per (cluster, pool)
 * where Ceph has one (`mirror pool status --verbose`), `rbd info` per image a few at a time (it is the
 * authoritative primary flag; the published status lags, openstack-facts.md 7).
 */
import {
  parseMirrorPoolStatus,
  parseRbdInfo,
  parseRbdSnapLs,
  type MirrorImageStatus,
  type MirrorPoolStatus,
  type RbdImageInfo,
  type RbdSnapshot,
} from '../../../parsers';
import { parseOpenstackRest, type OpenstackInventory } from '../../../parsers/openstack';
import type { ParseResult } from '../../../parsers/result';
import { osRestInventory } from '../../../commands/openstack';
import { StepFailedError } from '../../errors';
import type { RunOptions, StepContext } from '../../types';
import { pool } from '../ceph-migration/observe';
import { dr } from './commands';
import { controllerOf, specOf, type ClusterEnd, type DrImage, type OpenstackParam } from './params';

export { pool };
type C = StepContext<{ openstack?: OpenstackParam | undefined }>;
type AnyCtx = StepContext<unknown>;
const read: RunOptions = { purpose: 'verify' };

export async function readParsed<T>(
  ctx: AnyCtx,
  host: string,
  argv: string[],
  parse: (s: string) => ParseResult<T>,
  opts: RunOptions = read,
): Promise<T> {
  const r = await ctx.run(host, argv, opts);
  if (r.exitCode !== 0)
    throw new StepFailedError(
      `read failed on ${host} (exit ${r.exitCode ?? 'none'}): ${argv.slice(0, 12).join(' ')}`,
      r.stderr.slice(-2000),
    );
  const p = parse(r.stdout);
  if (!p.ok) throw new StepFailedError(p.error.message, p.error.snippet);
  return p.value;
}

export const rbdInfo = (
  ctx: AnyCtx,
  end: ClusterEnd,
  i: { pool: string; name: string },
  opts: RunOptions = read,
): Promise<RbdImageInfo> => readParsed(ctx, end.host, dr.info(end.target, i.pool, i.name), parseRbdInfo, opts);

/** `rbd info` that tolerates a missing image (exit 2, ENOENT): null. */
export async function rbdInfoIfExists(
  ctx: AnyCtx,
  end: ClusterEnd,
  i: { pool: string; name: string },
  opts: RunOptions = read,
): Promise<RbdImageInfo | null> {
  const r = await ctx.run(end.host, dr.info(end.target, i.pool, i.name), opts);
  if (r.exitCode === 2) return null;
  if (r.exitCode !== 0)
    throw new StepFailedError(
      `rbd info ${specOf(i)} on ${end.cluster} failed (exit ${r.exitCode ?? 'none'})`,
      r.stderr.slice(-2000),
    );
  const p = parseRbdInfo(r.stdout);
  if (!p.ok) throw new StepFailedError(p.error.message, p.error.snippet);
  return p.value;
}

export const poolStatus = (
  ctx: AnyCtx,
  end: ClusterEnd,
  poolName: string,
  opts: RunOptions = read,
): Promise<MirrorPoolStatus> =>
  readParsed(ctx, end.host, dr.mirrorPoolStatus(end.target, poolName), parseMirrorPoolStatus, opts);

export const snapList = (
  ctx: AnyCtx,
  end: ClusterEnd,
  i: { pool: string; name: string },
  opts: RunOptions = read,
): Promise<RbdSnapshot[]> => readParsed(ctx, end.host, dr.snapLsAll(end.target, i.pool, i.name), parseRbdSnapLs, opts);

/** Per-image mirror status on one cluster for a set of images: one verbose status call per pool. */
export async function statuses(
  ctx: AnyCtx,
  end: ClusterEnd,
  images: DrImage[],
  opts: RunOptions = { purpose: 'poll' },
): Promise<Map<string, MirrorImageStatus | undefined>> {
  const out = new Map<string, MirrorImageStatus | undefined>();
  for (const p of [...new Set(images.map((i) => i.pool))]) {
    const st = await poolStatus(ctx, end, p, opts);
    for (const i of images.filter((x) => x.pool === p))
      out.set(
        specOf(i),
        st.images.find((x) => x.name === i.name),
      );
  }
  return out;
}

/** Primary flags of every image on both ends (rbd info, 4 at a time). */
export async function primaryFlags(
  ctx: AnyCtx,
  a: ClusterEnd,
  b: ClusterEnd,
  images: DrImage[],
): Promise<{ image: DrImage; a: boolean | null; b: boolean | null }[]> {
  return pool(images, 4, async (i) => {
    const [x, y] = await Promise.all([rbdInfoIfExists(ctx, a, i), rbdInfoIfExists(ctx, b, i)]);
    return { image: i, a: x?.mirroring?.primary ?? null, b: y?.mirroring?.primary ?? null };
  });
}

/**
 * Servers and volumes as Nova and Cinder report them. Only their lists must be complete: with a site lost, Glance's
 * store listing of that site's RBD store hangs until its timeout (seen in the lab with site-a stopped), and the DR
 * wizards never need it.
 */
export async function cloudState(ctx: C, opts: RunOptions = read): Promise<OpenstackInventory | undefined> {
  const c = controllerOf(ctx.inventory, ctx.params.openstack);
  if (!c) return undefined;
  const inv = await readParsed(ctx as AnyCtx, c.host, osRestInventory(c.role), parseOpenstackRest, opts);
  const errs = Object.entries(inv.errors).filter(([k]) => k === 'auth' || k === 'servers' || k === 'volumes');
  if (errs.length > 0)
    throw new StepFailedError(`OpenStack inventory incomplete: ${errs.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  return inv;
}

/** Journal: replaying with 0 entries behind; snapshot: idle on the primary's latest snapshot. */
export function caughtUp(st: MirrorImageStatus | undefined, mode: 'journal' | 'snapshot'): boolean {
  if (!st?.state || st.state.up !== true || st.state.status !== 'replaying') return false;
  const r = st.parsed.replay;
  if (mode === 'journal') return r?.kind === 'journal' && r.entriesBehindPrimary === 0;
  return (
    r?.kind === 'snapshot' &&
    r.replayState === 'idle' &&
    r.localSnapshotTimestamp !== null &&
    r.localSnapshotTimestamp === r.remoteSnapshotTimestamp
  );
}

/** The demotion has reached this (non-primary) side: up+stopped (journal) or up+unknown (snapshot), ceph-facts.md 6. */
export function demotionSeen(st: MirrorImageStatus | undefined): boolean {
  return (
    st?.state?.up === true && (st.state.status === 'stopped' || st.state.status === 'unknown') && !st.parsed.splitBrain
  );
}

export function parseSha(stdout: string): string {
  const m = /^([0-9a-f]{64})\b/.exec(stdout.trim()) ?? /"sha256":\s*"([0-9a-f]{64})"/.exec(stdout);
  if (!m?.[1]) throw new StepFailedError('checksum output is not a sha256', stdout.slice(0, 200));
  return m[1];
}
