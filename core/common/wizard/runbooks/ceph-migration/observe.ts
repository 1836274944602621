/**
 * Observations of the real state, shared by preconditions, waits and verifications. Every read is one bulk call per
 * (cluster, pool) where Ceph has one; `rbd info` per image runs a few at a time over the pooled SSH connection.
 */
import {
  parseMirrorPoolInfo,
  parseMirrorPoolStatus,
  parseRbdInfo,
  parseRbdLsLong,
  type MirrorPoolInfo,
  type MirrorPoolStatus,
  type RbdImageInfo,
} from '../../../parsers';
import { parseOpenstackRest, type OpenstackInventory } from '../../../parsers/openstack';
import type { ParseResult } from '../../../parsers/result';
import { osRestInventory } from '../../../commands/openstack';
import { CommandFailedError, StepFailedError } from '../../errors';
import type { RunOptions, StepContext } from '../../types';
import { cmd } from './commands';
import { controller, type ClusterEnd, type MigrationParams } from './params';

type C = StepContext<MigrationParams>;
const read: RunOptions = { purpose: 'verify' };

export async function readParsed<T>(
  ctx: C,
  host: string,
  argv: string[],
  parse: (s: string) => ParseResult<T>,
  opts: RunOptions = read,
): Promise<T> {
  const r = await ctx.run(host, argv, opts);
  if (r.exitCode !== 0)
    throw new StepFailedError(`read failed on ${host} (exit ${r.exitCode ?? 'none'})`, r.stderr.slice(-2000));
  const p = parse(r.stdout);
  if (!p.ok) throw new StepFailedError(p.error.message, p.error.snippet);
  return p.value;
}

/** Runs fn over items with at most `n` in flight (SSH allows ~6 channels per connection). */
export async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

export const rbdInfo = (
  ctx: C,
  end: ClusterEnd,
  poolName: string,
  image: string,
  opts: RunOptions = read,
): Promise<RbdImageInfo> => readParsed(ctx, end.host, cmd.info(end.target, poolName, image), parseRbdInfo, opts);

/** `rbd info` that tolerates a missing image (exit 2, ENOENT): null. */
export async function rbdInfoIfExists(
  ctx: C,
  end: ClusterEnd,
  poolName: string,
  image: string,
): Promise<RbdImageInfo | null> {
  const r = await ctx.run(end.host, cmd.info(end.target, poolName, image), read);
  if (r.exitCode === 2) return null;
  if (r.exitCode !== 0)
    throw new StepFailedError(
      `rbd info ${poolName}/${image} failed (exit ${r.exitCode ?? 'none'})`,
      r.stderr.slice(-2000),
    );
  const p = parseRbdInfo(r.stdout);
  if (!p.ok) throw new StepFailedError(p.error.message, p.error.snippet);
  return p.value;
}

/** Images per batched `rbd info` exec (bounds one exec's run time and output). */
const INFO_BATCH = 16;

/**
 * `rbd info` of every image in `images` on one side, batched (cmd.infoMany) with up to `parallel` execs in flight:
 * the same per-image truth (the authoritative mirroring.primary, features) as one exec per image, at a fraction of
 * the SSH/sudo/shell cost. Keyed by `pool/image`; null = the image does not exist (rbd exit 2, ENOENT).
 */
export async function rbdInfos(
  ctx: C,
  end: ClusterEnd,
  images: { pool: string; name: string }[],
  opts: RunOptions = read,
  parallel = 4,
): Promise<Map<string, RbdImageInfo | null>> {
  const out = new Map<string, RbdImageInfo | null>();
  if (images.length === 0) return out;
  const size = Math.min(INFO_BATCH, Math.ceil(images.length / parallel));
  const chunks: { pool: string; name: string }[][] = [];
  for (let i = 0; i < images.length; i += size) chunks.push(images.slice(i, i + size));
  await pool(chunks, parallel, async (chunk) => {
    const argv = cmd.infoMany(
      end.target,
      chunk.map((i) => ({ pool: i.pool, image: i.name })),
    );
    const r = await ctx.run(end.host, argv, { ...opts, note: `rbd info of ${chunk.length} images on ${end.cluster}` });
    if (r.exitCode !== 0)
      throw new StepFailedError(
        `batched rbd info on ${end.host} failed (exit ${r.exitCode ?? 'none'})`,
        r.stderr.slice(-2000),
      );
    const lines = parseInfoMany(r.stdout);
    for (const i of chunk) {
      const key = `${i.pool}/${i.name}`;
      const line = lines.get(key);
      if (!line) throw new StepFailedError(`batched rbd info: no answer for ${key}`, r.stdout.slice(-1000));
      if (line.exit === 2) out.set(key, null);
      else if (line.exit !== 0)
        throw new StepFailedError(`rbd info ${key} failed (exit ${line.exit})`, r.stderr.slice(-2000));
      else {
        const p = parseRbdInfo(line.output);
        if (!p.ok) throw new StepFailedError(p.error.message, p.error.snippet);
        out.set(key, p.value);
      }
    }
  });
  return out;
}

/** cmd.infoMany's output: `exit<TAB>spec<TAB>output` per line. */
export function parseInfoMany(stdout: string): Map<string, { exit: number; output: string }> {
  const m = new Map<string, { exit: number; output: string }>();
  for (const line of stdout.split('\n')) {
    const a = line.indexOf('\t');
    const b = a < 0 ? -1 : line.indexOf('\t', a + 1);
    if (b < 0) continue;
    const exit = Number(line.slice(0, a));
    if (!Number.isInteger(exit)) continue;
    m.set(line.slice(a + 1, b), { exit, output: line.slice(b + 1) });
  }
  return m;
}

/** Image names of a pool, one bulk call (`rbd ls`, no image opened). */
export async function imageNames(
  ctx: C,
  end: ClusterEnd,
  poolName: string,
  opts: RunOptions = read,
): Promise<Set<string>> {
  const r = await ctx.run(end.host, cmd.lsNames(end.target, poolName), opts);
  if (r.exitCode !== 0)
    throw new StepFailedError(
      `rbd ls ${poolName} on ${end.host} failed (exit ${r.exitCode ?? 'none'})`,
      r.stderr.slice(-2000),
    );
  try {
    const v = JSON.parse(r.stdout === '' ? '[]' : r.stdout) as unknown;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error('not a list of names');
    return new Set(v as string[]);
  } catch (e) {
    throw new StepFailedError(`rbd ls ${poolName}: ${String(e)}`, r.stdout.slice(0, 300));
  }
}

/** On the source with `--all` (the hidden tx-only peer, ceph-facts.md 7); on the destination without (keys). */
export const poolInfo = (ctx: C, end: ClusterEnd, poolName: string, opts: RunOptions = read): Promise<MirrorPoolInfo> =>
  readParsed(
    ctx,
    end.host,
    cmd.mirrorPoolInfo(end.target, poolName, end.cluster === ctx.params.source.cluster),
    parseMirrorPoolInfo,
    opts,
  );

export const poolStatus = (
  ctx: C,
  end: ClusterEnd,
  poolName: string,
  opts: RunOptions = read,
): Promise<MirrorPoolStatus> =>
  readParsed(ctx, end.host, cmd.mirrorPoolStatus(end.target, poolName), parseMirrorPoolStatus, opts);

export const listImages = (ctx: C, end: ClusterEnd, poolName: string, opts: RunOptions = read) =>
  readParsed(ctx, end.host, cmd.ls(end.target, poolName), parseRbdLsLong, opts).then((v) => v.images);

export async function cloudState(ctx: C, opts: RunOptions = read): Promise<OpenstackInventory | undefined> {
  const c = controller(ctx);
  if (!c) return undefined;
  const inv = await readParsed(ctx, c.host, osRestInventory(c.role), parseOpenstackRest, opts);
  const errs = Object.entries(inv.errors);
  if (errs.length > 0)
    throw new StepFailedError(`OpenStack inventory incomplete: ${errs.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  return inv;
}

/** Volume states Cinder leaves on its own (an attach or detach in flight): act only once they have settled. */
const TRANSITIONAL = new Set(['attaching', 'detaching', 'reserved']);

/**
 * The cloud as it is once no volume of the scope is mid attach/detach (bounded). After a crash mid-command the
 * request may still be in flight in Nova/Cinder; issuing it again then fails with 409 instead of doing nothing.
 */
export async function settledCloud(ctx: C, volumeIds: string[]): Promise<OpenstackInventory | undefined> {
  const want = new Set(volumeIds);
  for (let i = 0; ; i++) {
    const cloud = await cloudState(ctx, { purpose: 'precondition' });
    const busy = (cloud?.volumes ?? []).filter((v) => want.has(v.id) && TRANSITIONAL.has(v.status ?? ''));
    if (!cloud || busy.length === 0) return cloud;
    if (i >= 40)
      throw new StepFailedError(
        'volumes stay in a transitional state',
        busy.map((v) => `${v.id} ${v.status ?? ''}`).join(', '),
      );
    await ctx.clock.sleep(3000, ctx.signal);
  }
}

/**
 * One cloud action. HTTP 409 means the server or volume is already changing state (typically the same request,
 * sent just before a crash): that is not a failure of this step, whose wait and verify observe the end state.
 */
export async function cloudAction(ctx: C, host: string, argv: string[], note?: string): Promise<void> {
  try {
    await ctx.run(host, argv, note ? { note } : {});
  } catch (e) {
    if (e instanceof CommandFailedError && /\(HTTP 409\)/.test(e.evidence)) return;
    throw e;
  }
}

/** Mon IPs from `ceph mon dump --format json` (`mons[].public_addrs.addrvec[].addr` = "ip:port"). */
export function parseMonIps(stdout: string): ParseResult<string[]> {
  try {
    const d = JSON.parse(stdout) as {
      mons?: { public_addrs?: { addrvec?: { addr?: string }[] }; public_addr?: string }[];
    };
    const ips = new Set<string>();
    for (const m of d.mons ?? []) {
      for (const a of m.public_addrs?.addrvec ?? []) if (a.addr) ips.add(a.addr.replace(/:\d+$/, ''));
      if (m.public_addr) ips.add(m.public_addr.replace(/:\d+\/\d+$/, '').replace(/:\d+$/, ''));
    }
    return { ok: true, value: [...ips].filter((x) => x !== '') };
  } catch (e) {
    return {
      ok: false,
      error: {
        kind: 'invalid-json',
        what: 'ceph mon dump',
        message: `ceph mon dump: ${String(e)}`,
        snippet: stdout.slice(0, 300),
      },
    };
  }
}
