/**
 * Failback after an unplanned failover, when the old primary returns: detect split-brain from BOTH sides, let the
 * operator pick the stale side (default: the one that was lost) by typing its name, demote it, take a fresh mirror
 * snapshot on the keeper for snapshot-mode images (resync copies only up to the latest one, operator-pitfalls 4),
 * resync the stale copies — never automatically: a typed confirmation of its own, since automated resyncs on
 * spurious split-brain lost data (ceph-csi#3209) — wait until caught up, then the planned switch back, including
 * Cinder failback (`--backend_id default`).
 */
import { z } from 'zod';
import { defineWizard } from '../define';
import { StepFailedError } from '../errors';
import type { PlanContext, StepContext, StepDef } from '../types';
import { dr } from './dr-shared/commands';
import { discoverScope, scopeEvidence } from './dr-shared/discover';
import { caughtUp, pool, rbdInfoIfExists, statuses } from './dr-shared/observe';
import {
  clusterEnd,
  drFacts,
  endSchema,
  openstackSchema,
  scopeSchema,
  specOf,
  timeoutsSchema,
  type ClusterEnd,
  type Direction,
  type DrImage,
} from './dr-shared/params';
import { switchSteps } from './dr-shared/switch';

export const failbackParamsSchema = z
  .object({
    /** The site serving now (the DR site after an unplanned failover). */
    current: endSchema,
    /** The site that returned (the old primary) and gets the workload back. */
    returning: endSchema,
    /** Whose writes since the failover are discarded: by default the returning (lost) site's. */
    stale: z.enum(['returning', 'current']).default('returning'),
    scope: scopeSchema,
    openstack: openstackSchema.optional(),
    checksums: z.boolean().default(true),
    resyncTimeoutSec: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600)
      .default(3600),
    timeouts: timeoutsSchema,
  })
  .refine((p) => p.current.cluster !== p.returning.cluster, 'current and returning must be different clusters');
export type FailbackParams = z.infer<typeof failbackParamsSchema>;
type P = FailbackParams;
type C = StepContext<P>;

const current = (c: PlanContext<P>): ClusterEnd =>
  clusterEnd(c.inventory, c.params.current.cluster, c.params.current.host);
const returning = (c: PlanContext<P>): ClusterEnd =>
  clusterEnd(c.inventory, c.params.returning.cluster, c.params.returning.host);
const staleEnd = (c: PlanContext<P>): ClusterEnd => (c.params.stale === 'returning' ? returning(c) : current(c));
const keeperEnd = (c: PlanContext<P>): ClusterEnd => (c.params.stale === 'returning' ? current(c) : returning(c));

/** The switch back: from the site serving now to the returning one; Cinder fails back to its default backend. */
const back: Direction<P> = {
  from: current,
  to: returning,
  backendId: (c) => (c.params.openstack?.cinder ? 'default' : undefined),
};

export interface SideView {
  image: string;
  stalePrimary: boolean | null;
  keeperPrimary: boolean | null;
  splitBrain: boolean;
  staleState: string | null;
  keeperState: string | null;
}

interface Detection {
  views: SideView[];
  /** Primary on the stale side: must be demoted. */
  toDemote: string[];
  /** Diverged (both primary, or split-brain reported by either side): must be resynced. */
  toResync: string[];
}

const detection = (c: { facts: Record<string, unknown> }): Detection | undefined =>
  c.facts['detection'] as Detection | undefined;
const byName = (c: PlanContext<P>, names: string[] | undefined): DrImage[] =>
  (drFacts(c.facts).images ?? []).filter((i) => (names ?? []).includes(specOf(i)));

async function detect(ctx: C): Promise<Detection> {
  const imgs = drFacts(ctx.facts).images ?? [];
  const [sst, kst] = await Promise.all([
    statuses(ctx, staleEnd(ctx), imgs, { purpose: 'verify' }),
    statuses(ctx, keeperEnd(ctx), imgs, { purpose: 'verify' }),
  ]);
  const views = await pool(imgs, 4, async (i): Promise<SideView> => {
    const [s, k] = await Promise.all([rbdInfoIfExists(ctx, staleEnd(ctx), i), rbdInfoIfExists(ctx, keeperEnd(ctx), i)]);
    const a = sst.get(specOf(i));
    const b = kst.get(specOf(i));
    const split =
      a?.parsed.splitBrain === true ||
      b?.parsed.splitBrain === true ||
      (b?.peers ?? []).some((p) => p.parsed.splitBrain);
    return {
      image: specOf(i),
      stalePrimary: s?.mirroring?.primary ?? null,
      keeperPrimary: k?.mirroring?.primary ?? null,
      splitBrain: split,
      staleState: a?.state?.raw ?? null,
      keeperState: b?.state?.raw ?? null,
    };
  });
  const bothPrimary = views.filter((v) => v.stalePrimary === true && v.keeperPrimary === true);
  return {
    views,
    toDemote: views.filter((v) => v.stalePrimary === true).map((v) => v.image),
    toResync: views
      .filter(
        (v) =>
          v.splitBrain || bothPrimary.includes(v) || (v.stalePrimary === false && /error/.test(v.staleState ?? '')),
      )
      .map((v) => v.image),
  };
}

const failbackSteps: StepDef<P>[] = [
  {
    id: 'discover',
    title: 'Discover the scope at the site serving now',
    phase: 'Detect',
    risk: 'read',
    plan: (c) => [
      { host: current(c).host, argv: dr.cephStatus(current(c).target) },
      { host: returning(c).host, argv: dr.cephStatus(returning(c).target) },
      ...c.params.scope.pools.map((p) => ({ host: current(c).host, argv: dr.mirrorPoolStatus(current(c).target, p) })),
    ],
    execute: async (ctx) => {
      for (const e of [current(ctx), returning(ctx)]) {
        const r = await ctx.run(e.host, dr.cephStatus(e.target), { purpose: 'discover', timeoutMs: 30_000 });
        if (r.exitCode !== 0)
          throw new StepFailedError(`${e.cluster} does not answer: failback needs both sites`, r.stderr.slice(-800));
      }
      ctx.setFacts({ ...(await discoverScope(ctx, current(ctx))) });
    },
    verify: (ctx) =>
      Promise.resolve({
        ok: (drFacts(ctx.facts).images?.length ?? 0) > 0,
        evidence: scopeEvidence(drFacts(ctx.facts)),
      }),
  },
  {
    id: 'detect-split-brain',
    title: 'Detect split-brain from both sides',
    phase: 'Detect',
    risk: 'read',
    description:
      'rbd info (authoritative primary flag) and the published mirror status of both sites; checks the description, not only the state (ceph-csi PR 2572).',
    plan: (c) =>
      [...new Set((drFacts(c.facts).images ?? []).map((i) => i.pool))].flatMap((p) =>
        [current(c), returning(c)].map((e) => ({ host: e.host, argv: dr.mirrorPoolStatus(e.target, p) })),
      ),
    execute: async (ctx) => {
      ctx.setFacts({ detection: await detect(ctx) });
    },
    verify: (ctx) => {
      const d = detection(ctx);
      if (!d) return Promise.resolve({ ok: false, evidence: 'no detection recorded' });
      const both = d.views.filter((v) => v.stalePrimary === true && v.keeperPrimary === true).length;
      const split = d.views.filter((v) => v.splitBrain).length;
      return Promise.resolve({
        ok: true,
        evidence: `${d.views.length} images: ${both} primary on both sides, ${split} reported split-brain; stale side ${staleEnd(ctx).cluster} (${ctx.params.stale}): ${d.toDemote.length} to demote, ${d.toResync.length} to resync. ${d.views.map((v) => `${v.image} stale ${String(v.stalePrimary)}/${v.staleState ?? '-'} keeper ${String(v.keeperPrimary)}/${v.keeperState ?? '-'}`).join('; ')}`,
      });
    },
  },
  {
    id: 'demote-stale',
    title: 'Demote the stale side',
    phase: 'Repair',
    risk: 'destructive',
    confirm: (c) => ({
      expected: staleEnd(c).cluster,
      prompt: `The writes made at ${staleEnd(c).cluster} since the failover will be discarded (${keeperEnd(c).cluster}'s data wins). Type the stale cluster's name`,
    }),
    skipIf: (c) =>
      detection(c) && detection(c)?.toDemote.length === 0 ? 'nothing is primary on the stale side' : undefined,
    plan: (c) =>
      byName(c, detection(c)?.toDemote).map((i) => ({
        host: staleEnd(c).host,
        argv: dr.imageDemote(staleEnd(c).target, i.pool, i.name),
      })),
    verify: async (ctx) => {
      const imgs = byName(ctx, detection(ctx)?.toDemote);
      const infos = await pool(imgs, 4, (i) => rbdInfoIfExists(ctx, staleEnd(ctx), i));
      const bad = imgs.filter((_, k) => infos[k]?.mirroring?.primary !== false);
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `still primary: ${bad.map(specOf).join(', ')}`
          : `${imgs.length} images non-primary at ${staleEnd(ctx).cluster}`,
      };
    },
  },
  {
    id: 'snapshot-keeper',
    title: 'Fresh mirror snapshot on the keeper (snapshot-mode images to resync)',
    phase: 'Repair',
    risk: 'change',
    skipIf: (c) =>
      detection(c) && byName(c, detection(c)?.toResync).filter((i) => i.mode === 'snapshot').length === 0
        ? 'no snapshot-mode image to resync'
        : undefined,
    plan: (c) =>
      byName(c, detection(c)?.toResync)
        .filter((i) => i.mode === 'snapshot')
        .map((i) => ({ host: keeperEnd(c).host, argv: dr.mirrorSnapshot(keeperEnd(c).target, i.pool, i.name) })),
    verify: async (ctx) => {
      const imgs = byName(ctx, detection(ctx)?.toResync).filter((i) => i.mode === 'snapshot');
      const infos = await pool(imgs, 4, (i) => rbdInfoIfExists(ctx, keeperEnd(ctx), i));
      const bad = imgs.filter((_, k) => infos[k]?.mirroring?.primary !== true);
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `keeper not primary: ${bad.map(specOf).join(', ')}`
          : `${imgs.length} snapshot-mode images got a fresh mirror snapshot at ${keeperEnd(ctx).cluster}`,
      };
    },
  },
  {
    id: 'resync-stale',
    title: 'Resync the stale copies (explicit decision)',
    phase: 'Repair',
    risk: 'destructive',
    description:
      'Deletes the stale copies and copies them again from the keeper. Never automatic: it runs only on this typed confirmation.',
    confirm: (c) => ({
      expected: staleEnd(c).cluster,
      prompt: `Resync ${detection(c)?.toResync.length ?? '?'} images at ${staleEnd(c).cluster} from ${keeperEnd(c).cluster} (their local data is replaced). Type the stale cluster's name`,
    }),
    skipIf: (c) => (detection(c) && detection(c)?.toResync.length === 0 ? 'no diverged image' : undefined),
    plan: (c) =>
      byName(c, detection(c)?.toResync).map((i) => ({
        host: staleEnd(c).host,
        argv: dr.imageResync(staleEnd(c).target, i.pool, i.name),
      })),
    execute: async (ctx) => {
      const imgs = byName(ctx, detection(ctx)?.toResync);
      const before = await pool(imgs, 4, (i) => rbdInfoIfExists(ctx, staleEnd(ctx), i));
      ctx.setFacts({ imageIds: Object.fromEntries(imgs.map((i, k) => [specOf(i), before[k]?.id ?? null])) });
      for (const i of imgs) await ctx.run(staleEnd(ctx).host, dr.imageResync(staleEnd(ctx).target, i.pool, i.name));
    },
    wait: {
      intervalMs: 2000,
      timeoutMs: 120_000,
      poll: async (ctx) => {
        const r = await recreated(ctx);
        return {
          done: r.pending.length === 0,
          progress: {
            done: r.total - r.pending.length,
            total: r.total,
            message: `${r.total - r.pending.length}/${r.total} stale copies replaced`,
          },
          evidence: r.pending.join(', '),
        };
      },
    },
    verify: async (ctx) => {
      const r = await recreated(ctx);
      return {
        ok: r.pending.length === 0,
        evidence: r.pending.length
          ? `not replaced yet: ${r.pending.join(', ')}`
          : `${r.total} stale copies deleted and re-created (new image ids) at ${staleEnd(ctx).cluster}`,
      };
    },
  },
  {
    id: 'wait-resynced',
    title: 'Wait until the stale side has caught up',
    phase: 'Repair',
    risk: 'read',
    plan: (c) =>
      [...new Set((drFacts(c.facts).images ?? []).map((i) => i.pool))].map((p) => ({
        host: staleEnd(c).host,
        argv: dr.mirrorPoolStatus(staleEnd(c).target, p),
        note: 'polled',
      })),
    execute: () => Promise.resolve(),
    wait: {
      intervalMs: 3000,
      timeoutMs: 3_600_000,
      timeoutFrom: (c) => c.params.resyncTimeoutSec * 1000,
      poll: async (ctx) => {
        const imgs = drFacts(ctx.facts).images ?? [];
        const st = await statuses(ctx, staleEnd(ctx), imgs);
        const split = imgs.filter(
          (i) => st.get(specOf(i))?.parsed.splitBrain === true && !(detection(ctx)?.toResync ?? []).includes(specOf(i)),
        );
        if (split.length)
          throw new StepFailedError(
            `split-brain on images not chosen for resync: ${split.map(specOf).join(', ')}: decide again (re-run detection)`,
          );
        const lag = imgs.filter((i) => !caughtUp(st.get(specOf(i)), i.mode));
        return {
          done: lag.length === 0,
          progress: {
            done: imgs.length - lag.length,
            total: imgs.length,
            message: `${imgs.length - lag.length}/${imgs.length} caught up at ${staleEnd(ctx).cluster}`,
          },
          evidence: lag
            .map(
              (i) =>
                `${specOf(i)}: ${st.get(specOf(i))?.state?.raw ?? 'no status'} ${st.get(specOf(i))?.description ?? ''}`,
            )
            .join('\n'),
        };
      },
    },
    verify: (ctx) =>
      Promise.resolve({
        ok: true,
        evidence: `${(drFacts(ctx.facts).images ?? []).length} images replaying and caught up at ${staleEnd(ctx).cluster}`,
      }),
  },
];

async function recreated(ctx: C): Promise<{ total: number; pending: string[] }> {
  const imgs = byName(ctx, detection(ctx)?.toResync);
  const ids = drFacts(ctx.facts).imageIds ?? {};
  const now = await pool(imgs, 4, (i) => rbdInfoIfExists(ctx, staleEnd(ctx), i));
  // Resync deletes the local image and bootstraps a new one: a new id (or none yet) shows the request took.
  const pending = imgs.filter((i, k) => {
    const n = now[k];
    return n !== null && n !== undefined && n.id === ids[specOf(i)];
  });
  return { total: imgs.length, pending: pending.map(specOf) };
}

/** Failing back after keeping the returning site's data: it is primary already, nothing to switch. */
const keptReturning = (c: PlanContext<P>): string | undefined =>
  c.params.stale === 'current' ? 'the returning site kept its data and is primary: nothing to switch back' : undefined;

export const failbackWizard = defineWizard<P>({
  id: 'dr-failback',
  title: 'DR: failback to the returning site (split-brain repair + planned switch back)',
  description:
    'Detects split-brain from both sides, demotes the stale side the operator names, resyncs it only on an explicit typed decision (fresh mirror snapshot first for snapshot mode), waits until caught up, then switches back with RPO 0 and Cinder failback (--backend_id default), verified with rbd info and checksums.',
  params: failbackParamsSchema as unknown as z.ZodType<P>,
  phases: ['Detect', 'Repair', 'Prepare', 'Switch-over', 'Bring-up', 'Verify'],
  downtime: { from: 'Switch-over', to: 'Bring-up' },
  steps: [
    ...failbackSteps,
    ...switchSteps(back).map((s) => {
      const own = s.skipIf;
      return { ...s, skipIf: (c: PlanContext<P>) => keptReturning(c) ?? own?.(c) };
    }),
  ],
});
