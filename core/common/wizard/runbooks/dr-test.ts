/**
 * DR test ("test recovery"): at the DR site, without touching replication or production, make isolated copies of
 * the latest replicated state — the last complete non-primary mirror snapshot (snapshot mode) or the caught-up
 * replica (journal mode) — check their data against the primary's matching snapshot, report, and clean up
 * completely. Copies are plain layering-only images (never mirrored, even in a pool-mode pool), named
 * `swy-drtest-<tag>-<image>`; the final step proves no trace is left and mirroring is untouched.
 */
import { z } from 'zod';
import { parseMirrorPoolInfo } from '../../parsers';
import { defineWizard } from '../define';
import { StepFailedError } from '../errors';
import type { PlanContext, StepContext, StepDef } from '../types';
import { dr } from './dr-shared/commands';
import { discoverScope, scopeEvidence } from './dr-shared/discover';
import {
  caughtUp,
  parseSha,
  pool,
  primaryFlags,
  readParsed,
  rbdInfoIfExists,
  snapList,
  statuses,
} from './dr-shared/observe';
import {
  clusterEnd,
  drFacts,
  endSchema,
  scopeSchema,
  specOf,
  timeoutsSchema,
  type ClusterEnd,
  type DrImage,
} from './dr-shared/params';

const poolName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$/);
export const drTestParamsSchema = z
  .object({
    primary: endSchema,
    /** The DR site where the copies are made. */
    secondary: endSchema,
    scope: scopeSchema,
    /** Where the copies go at the DR site (default: the image's own pool; they are never mirrored either way). */
    testPool: poolName.optional(),
    checksums: z.boolean().default(true),
    timeouts: timeoutsSchema,
  })
  .refine((p) => p.primary.cluster !== p.secondary.cluster, 'primary and secondary must be different clusters');
export type DrTestParams = z.infer<typeof drTestParamsSchema> & { openstack?: undefined };
type P = DrTestParams;
type C = StepContext<P>;

const prim = (c: PlanContext<P>): ClusterEnd =>
  clusterEnd(c.inventory, c.params.primary.cluster, c.params.primary.host);
const sec = (c: PlanContext<P>): ClusterEnd =>
  clusterEnd(c.inventory, c.params.secondary.cluster, c.params.secondary.host);
export const COPY_PREFIX = 'swy-drtest-';
const copyName = (tag: string, i: DrImage): string => `${COPY_PREFIX}${tag}-${i.name}`.slice(0, 250);
const destPool = (c: PlanContext<P>, i: DrImage): string => c.params.testPool ?? i.pool;

interface CopyRecord {
  image: string;
  copy: string;
  mode: 'journal' | 'snapshot';
  /** DR-side snapshot id copied (null: the caught-up head, journal mode). */
  drSnapId: number | null;
  primarySnapId: number | null;
  pointTime: string | null;
  copySha: string;
  primarySha: string | null;
  note: string;
}
interface Baseline {
  pools: Record<string, { mode: string; peers: string[]; images: string[] }>;
  flags: Record<string, [boolean | null, boolean | null]>;
}
const copies = (c: { facts: Record<string, unknown> }): CopyRecord[] =>
  (c.facts['copies'] as CopyRecord[] | undefined) ?? [];
const tagOf = (c: { facts: Record<string, unknown> }): string => (c.facts['tag'] as string | undefined) ?? 'TAG';

const lsNames = z.array(z.string());
async function listNames(ctx: C, end: ClusterEnd, p: string): Promise<string[]> {
  return readParsed(ctx, end.host, dr.ls(end.target, p), (s) => {
    const r = lsNames.safeParse(JSON.parse(s || '[]'));
    return r.success
      ? { ok: true as const, value: r.data }
      : {
          ok: false as const,
          error: {
            kind: 'schema' as const,
            what: 'rbd ls',
            message: 'rbd ls: not a list of names',
            snippet: s.slice(0, 200),
          },
        };
  });
}

async function baseline(ctx: C): Promise<Baseline> {
  const imgs = drFacts(ctx.facts).images ?? [];
  const pools = [...new Set([...imgs.map((i) => i.pool), ...(ctx.params.testPool ? [ctx.params.testPool] : [])])];
  const out: Baseline = { pools: {}, flags: {} };
  for (const end of [prim(ctx), sec(ctx)]) {
    for (const p of pools) {
      const info = await readParsed(ctx, end.host, dr.mirrorPoolInfo(end.target, p), parseMirrorPoolInfo);
      const names = (await listNames(ctx, end, p)).filter((n) => !n.startsWith(COPY_PREFIX)).sort();
      out.pools[`${end.cluster}/${p}`] = {
        mode: info.mode,
        peers: info.peers.map((x) => `${x.uuid}:${x.direction}`).sort(),
        images: names,
      };
    }
  }
  for (const f of await primaryFlags(ctx, prim(ctx), sec(ctx), imgs)) out.flags[specOf(f.image)] = [f.a, f.b];
  return out;
}

/** The DR point of one image and the matching primary checksum; the DR copy of exactly that point. */
async function copyOne(ctx: C, i: DrImage, attempt = 1): Promise<CopyRecord> {
  const s = sec(ctx);
  const p = prim(ctx);
  const dest = copyName(tagOf(ctx), i);
  const lastPoint = async (): Promise<{ id: number; primary: number; at: string | null } | null> => {
    const r = await ctx.run(s.host, dr.snapLsAll(s.target, i.pool, i.name), { purpose: 'verify' });
    if (r.exitCode !== 0)
      throw new StepFailedError(`rbd snap ls ${specOf(i)} at ${s.cluster} failed`, r.stderr.slice(-600));
    let best: { id: number; primary: number; at: string | null } | null = null;
    for (const x of JSON.parse(r.stdout || '[]') as {
      id?: number;
      timestamp?: string;
      namespace?: { type?: string; state?: string; complete?: boolean; primary_snap_id?: number };
    }[]) {
      const n = x.namespace;
      if (
        n?.type === 'mirror' &&
        n.state === 'non-primary' &&
        n.complete === true &&
        typeof x.id === 'number' &&
        typeof n.primary_snap_id === 'number' &&
        (!best || x.id > best.id)
      )
        best = { id: x.id, primary: n.primary_snap_id, at: x.timestamp ?? null };
    }
    return best;
  };
  const idle = async (): Promise<boolean> => {
    const st = (await statuses(ctx, s, [i], { purpose: 'verify' })).get(specOf(i));
    return i.mode === 'journal'
      ? caughtUp(st, 'journal')
      : st?.parsed.replay?.kind === 'snapshot' && st.parsed.replay.replayState === 'idle';
  };
  // The copy reads the replica's head while it is idle: it then equals the last complete mirror snapshot. (Reading
  // that snapshot by id is not enough: the bootstrap snapshot of a freshly synced image reads back as zeros.)
  const before = i.mode === 'snapshot' ? await lastPoint() : null;
  if (i.mode === 'snapshot' && !before)
    throw new StepFailedError(`${specOf(i)}: no complete non-primary mirror snapshot at ${s.cluster} yet`);
  if (!(await idle())) {
    if (attempt < 5) {
      await ctx.clock.sleep(5000, ctx.signal);
      return copyOne(ctx, i, attempt + 1);
    }
    throw new StepFailedError(`${specOf(i)}: replica at ${s.cluster} is not idle/caught up`);
  }
  const drSnapId = before?.id ?? null;
  const primarySnapId = before?.primary ?? null;
  const pointTime = before?.at ?? null;
  const prSha = ctx.params.checksums
    ? await ctx.run(p.host, dr.snapSha(p.target, i.pool, i.name, primarySnapId), {
        purpose: 'verify',
        timeoutMs: 3_600_000,
        note: `primary ${primarySnapId === null ? 'head' : `snapshot ${primarySnapId}`}`,
      })
    : null;
  const cp = await ctx.run(s.host, dr.snapCopy(s.target, i.pool, i.name, null, destPool(ctx, i), dest), {
    timeoutMs: 3_600_000,
    note: `isolated copy of ${specOf(i)}`,
  });
  if (cp.exitCode !== 0)
    throw new StepFailedError(`copy of ${specOf(i)} failed (exit ${cp.exitCode ?? 'none'})`, cp.stderr.slice(-1200));
  if (prSha && prSha.exitCode !== 0) {
    // The scheduler prunes old primary mirror snapshots: a point that vanished is picked again.
    if (/ImageNotFound|error setting image/.test(prSha.stderr) && attempt < 5) return copyOne(ctx, i, attempt + 1);
    throw new StepFailedError(`checksum of ${specOf(i)} at ${p.cluster} failed`, prSha.stderr.slice(-1200));
  }
  // A sync that started during the copy moved the head past the point: copy again.
  if (i.mode === 'snapshot') {
    const after = await lastPoint();
    if ((after?.id !== before?.id || !(await idle())) && attempt < 5) return copyOne(ctx, i, attempt + 1);
  }
  return {
    image: specOf(i),
    copy: `${destPool(ctx, i)}/${dest}`,
    mode: i.mode,
    drSnapId,
    primarySnapId,
    pointTime,
    copySha: parseSha(cp.stdout),
    primarySha: prSha ? parseSha(prSha.stdout) : null,
    note:
      i.mode === 'journal'
        ? 'journal mode: the caught-up replica head against the primary head (a write in between shows as a difference)'
        : `snapshot mode: idle replica at mirror snapshot ${drSnapId ?? '?'} against primary snapshot ${primarySnapId ?? '?'}`,
  };
}

const steps: StepDef<P>[] = [
  {
    id: 'discover',
    title: 'Discover the scope at the primary',
    phase: 'Prepare',
    risk: 'read',
    plan: (c) =>
      c.params.scope.pools.map((p) => ({ host: prim(c).host, argv: dr.mirrorPoolStatus(prim(c).target, p) })),
    execute: async (ctx) => {
      const f = await discoverScope(ctx, prim(ctx));
      ctx.setFacts({ ...f, tag: ctx.clock.now().toString(36) });
      const probe = await ctx.run(sec(ctx).host, ['python3', '-c', 'import rbd, rados'], { purpose: 'precondition' });
      if (probe.exitCode !== 0)
        throw new StepFailedError(
          `python3-rbd is missing on ${sec(ctx).host}: the DR test reads mirror snapshots through librbd`,
          probe.stderr.slice(-500),
        );
    },
    verify: (ctx) =>
      Promise.resolve({
        ok: (drFacts(ctx.facts).images?.length ?? 0) > 0,
        evidence: `${scopeEvidence(drFacts(ctx.facts))}; copies named ${COPY_PREFIX}${tagOf(ctx)}-*`,
      }),
  },
  {
    id: 'record-baseline',
    title: 'Record mirroring as it is (to prove it untouched)',
    phase: 'Prepare',
    risk: 'read',
    plan: (c) =>
      [...new Set((drFacts(c.facts).images ?? []).map((i) => i.pool))].flatMap((p) =>
        [prim(c), sec(c)].map((e) => ({ host: e.host, argv: dr.mirrorPoolInfo(e.target, p) })),
      ),
    execute: async (ctx) => {
      ctx.setFacts({ baseline: await baseline(ctx) });
    },
    verify: (ctx) => {
      const b = ctx.facts['baseline'] as Baseline | undefined;
      return Promise.resolve({
        ok: !!b,
        evidence: b
          ? `${Object.keys(b.pools).length} pools, ${Object.keys(b.flags).length} images recorded`
          : 'no baseline',
      });
    },
  },
  {
    id: 'wait-replicated',
    title: 'Wait until the DR site holds a replicated point of every image',
    phase: 'Prepare',
    risk: 'read',
    description:
      'Journal: caught up (0 entries behind); snapshot: a complete non-primary mirror snapshot exists. Status is published ~30 s late (ceph-facts.md 5): bounded polling, not a failure.',
    plan: (c) =>
      [...new Set((drFacts(c.facts).images ?? []).map((i) => i.pool))].map((p) => ({
        host: sec(c).host,
        argv: dr.mirrorPoolStatus(sec(c).target, p),
        note: 'polled',
      })),
    execute: () => Promise.resolve(),
    wait: {
      intervalMs: 3000,
      timeoutMs: 1_800_000,
      timeoutFrom: (c) => c.params.timeouts.catchUpSec * 1000,
      poll: async (ctx) => {
        const imgs = drFacts(ctx.facts).images ?? [];
        const st = await statuses(ctx, sec(ctx), imgs);
        const ready = await pool(imgs, 4, async (i) => {
          if (i.mode === 'journal') return caughtUp(st.get(specOf(i)), 'journal');
          const snaps = await snapList(ctx, sec(ctx), i, { purpose: 'poll' });
          return snaps.some(
            (x) => x.namespaceType === 'mirror' && x.mirrorState === 'non-primary' && x.complete === true,
          );
        });
        const waiting = imgs.filter((_, k) => !ready[k]);
        return {
          done: waiting.length === 0,
          progress: {
            done: imgs.length - waiting.length,
            total: imgs.length,
            message: `${imgs.length - waiting.length}/${imgs.length} have a replicated point at ${sec(ctx).cluster}`,
          },
          evidence: waiting.map((i) => `${specOf(i)}: ${st.get(specOf(i))?.description ?? 'no status'}`).join('\n'),
        };
      },
    },
    verify: (ctx) =>
      Promise.resolve({
        ok: true,
        evidence: `${(drFacts(ctx.facts).images ?? []).length} images have a replicated point at ${sec(ctx).cluster}`,
      }),
  },
  {
    id: 'make-copies',
    title: 'Copy the latest replicated state into isolated images at the DR site',
    phase: 'Test',
    risk: 'change',
    plan: (c) =>
      (drFacts(c.facts).images ?? []).map((i) => ({
        host: sec(c).host,
        argv: dr.snapCopy(sec(c).target, i.pool, i.name, null, destPool(c, i), copyName(tagOf(c), i)),
        note:
          i.mode === 'snapshot'
            ? 'the idle replica = its latest complete mirror snapshot (checked before and after)'
            : 'the caught-up replica',
      })),
    execute: async (ctx) => {
      const imgs = drFacts(ctx.facts).images ?? [];
      const out: CopyRecord[] = [];
      // Recorded as they are made, so a failure midway still leaves the cleanup step a complete list.
      for (const i of imgs) {
        out.push(await copyOne(ctx, i));
        ctx.setFacts({ copies: [...out] });
      }
    },
    verify: async (ctx) => {
      const cs = copies(ctx);
      const infos = await pool(cs, 4, (c) => {
        const [p, ...n] = c.copy.split('/');
        return rbdInfoIfExists(ctx, sec(ctx), { pool: p ?? '', name: n.join('/') });
      });
      const bad = cs.filter(
        (_, k) => !infos[k] || infos[k]?.mirroring !== null || infos[k]?.features.includes('journaling'),
      );
      return {
        ok: cs.length === (drFacts(ctx.facts).images ?? []).length && bad.length === 0,
        evidence: bad.length
          ? `not isolated or missing: ${bad.map((c) => c.copy).join(', ')}`
          : `${cs.length} isolated copies (no mirroring, no journaling) at ${sec(ctx).cluster}`,
      };
    },
  },
  {
    id: 'cleanup',
    title: 'Remove the copies and prove no trace is left',
    phase: 'Clean up',
    risk: 'change',
    plan: (c) =>
      (drFacts(c.facts).images ?? []).map((i) => ({
        host: sec(c).host,
        argv: dr.rm(sec(c).target, destPool(c, i), copyName(tagOf(c), i)),
      })),
    execute: async (ctx) => {
      const imgs = drFacts(ctx.facts).images ?? [];
      for (const i of imgs) {
        const name = { pool: destPool(ctx, i), name: copyName(tagOf(ctx), i) };
        if (await rbdInfoIfExists(ctx, sec(ctx), name))
          await ctx.run(sec(ctx).host, dr.rm(sec(ctx).target, name.pool, name.name));
      }
    },
    verify: async (ctx) => {
      const before = ctx.facts['baseline'] as Baseline | undefined;
      const now = await baseline(ctx);
      const prefix = `${COPY_PREFIX}${tagOf(ctx)}-`;
      const leftovers: string[] = [];
      const pools = [
        ...new Set([
          ...(drFacts(ctx.facts).images ?? []).map((i) => i.pool),
          ...(ctx.params.testPool ? [ctx.params.testPool] : []),
        ]),
      ];
      for (const end of [prim(ctx), sec(ctx)])
        for (const p of pools)
          for (const n of await listNames(ctx, end, p))
            if (n.startsWith(prefix)) leftovers.push(`${end.cluster}/${p}/${n}`);
      const changed = before
        ? Object.keys(before.pools).filter((k) => JSON.stringify(before.pools[k]) !== JSON.stringify(now.pools[k]))
        : ['no baseline'];
      const flags = before
        ? Object.keys(before.flags).filter((k) => JSON.stringify(before.flags[k]) !== JSON.stringify(now.flags[k]))
        : [];
      const ok = leftovers.length === 0 && changed.length === 0 && flags.length === 0;
      return {
        ok,
        evidence: ok
          ? `no ${prefix}* image on either site; mirror modes, peers, image lists and primary flags unchanged (${Object.keys(now.pools).length} pools, ${Object.keys(now.flags).length} images)`
          : `leftovers: ${leftovers.join(', ') || 'none'}; changed pools: ${changed.join(', ') || 'none'}; changed flags: ${flags.join(', ') || 'none'}`,
      };
    },
  },
  {
    id: 'report',
    title: 'Compare the copies with the primary and report',
    phase: 'Report',
    risk: 'read',
    plan: () => [],
    execute: () => Promise.resolve(),
    verify: (ctx) => {
      const cs = copies(ctx);
      const diff = cs.filter((c) => c.primarySha !== null && c.primarySha !== c.copySha);
      const lines = cs.map(
        (c) =>
          `${c.image}: ${c.primarySha === null ? 'not compared' : c.primarySha === c.copySha ? 'identical' : 'DIFFERENT'} (${c.note}${c.pointTime ? `, point ${c.pointTime}` : ''})`,
      );
      return Promise.resolve({
        ok: cs.length > 0 && diff.length === 0,
        evidence: `${cs.length - diff.length}/${cs.length} copies match the primary: ${lines.join('; ')}`,
      });
    },
  },
];

export const drTestWizard = defineWizard<P>({
  id: 'dr-test',
  title: 'DR: non-disruptive DR test (isolated copies, checksums, full clean-up)',
  description:
    "At the DR site, copies the latest replicated state of the scope into isolated images, compares them with the primary's matching snapshots, removes them and proves that no image, snapshot or mirroring change is left.",
  params: drTestParamsSchema as unknown as z.ZodType<P>,
  phases: ['Prepare', 'Test', 'Clean up', 'Report'],
  steps,
});
