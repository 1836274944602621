/**
 * Unplanned failover (the primary site is lost): prove the loss with bounded probes (SSH and Ceph both
 * unreachable; a dead cluster otherwise hangs rbd forever, ceph-facts.md 9), show the data-loss window from the
 * survivor's last observation, ask for the lost site's name typed out, force-promote at the survivor, fail Cinder
 * over, bring the workload up and verify. The old primary comes back split-brained: that is the failback wizard's
 * job, by explicit operator decision only.
 */
import { z } from 'zod';
import { cephTargetFromRole } from '../../commands/ceph';
import { nameSchema } from '../../inventory/schema';
import { mirrorDaemonSchema } from './mirror-daemon';
import { defineWizard } from '../define';
import { TransportError, errorMessage } from '../errors';
import type { StepContext, StepDef } from '../types';
import { bringUpStep } from './dr-shared/bring-up';
import { azStep, cinderFailoverStep, switchCommands } from './dr-shared/switch';
import { dr } from './dr-shared/commands';
import { discoverScope, scopeEvidence } from './dr-shared/discover';
import { describeLoss, lastCopiedSnapshotSec, lossWindow, needsSnapshotList, type LossWindow } from './dr-shared/loss';
import { pool, rbdInfoIfExists, snapList, statuses } from './dr-shared/observe';
import {
  clusterEnd,
  drFacts,
  endSchema,
  openstackSchema,
  scopeSchema,
  specOf,
  timeoutsSchema,
  wizardOwned,
  type Direction,
} from './dr-shared/params';

export const unplannedFailoverParamsSchema = z
  .object({
    /** The site that is gone. */
    lost: endSchema,
    /** The DR site that takes over. */
    survivor: endSchema,
    scope: scopeSchema,
    openstack: openstackSchema.optional(),
    /** Bound of every probe of the lost site (SSH connect + Ceph connect/mon-op timeouts). */
    probeSec: z.number().int().min(2).max(120).default(10),
    /** An extra Ceph probe of the lost cluster from another host (a conf naming the lost cluster's monitors). */
    cephProbe: z
      .object({
        host: nameSchema,
        conf: z.string().min(1),
        keyring: z.string().min(1).optional(),
        clientId: z.string().min(1).optional(),
      })
      .optional(),
    /**
     * How to stop and start the survivor's rbd-mirror (argvs on the survivor's host). With the lost site gone it
     * waits on that site's OSDs without a timeout and keeps the snapshot images it replays open: their forced
     * promote then hangs (seen in the lab; Ceph tracker 62163). The wizard stops it for the promote and starts it
     * after the Cinder failover. Absent: those steps are skipped, and say so.
     */
    mirrorDaemon: mirrorDaemonSchema.optional(),
    /** Fence the lost site before promoting (power/network off: it must not come back writing). */
    fence: z.enum(['manual', 'none']).default('manual'),
    checksums: z.boolean().default(false),
    timeouts: timeoutsSchema,
  })
  .refine((p) => p.lost.cluster !== p.survivor.cluster, 'lost and survivor must be different clusters');
export type UnplannedFailoverParams = z.infer<typeof unplannedFailoverParamsSchema>;
type P = UnplannedFailoverParams;
type C = StepContext<P>;

const dir: Direction<P> = {
  from: (c) => clusterEnd(c.inventory, c.params.lost.cluster, c.params.lost.host),
  to: (c) => clusterEnd(c.inventory, c.params.survivor.cluster, c.params.survivor.host),
  backendId: (c) => c.params.openstack?.cinder?.backendId,
};

interface Probe {
  what: string;
  host: string;
  reachable: boolean;
  ms: number;
  evidence: string;
}

/** One bounded probe: reachable only when the command ran and exited 0. */
async function probe(ctx: C, what: string, host: string, argv: string[], timeoutMs: number): Promise<Probe> {
  const t0 = ctx.clock.now();
  try {
    const r = await ctx.run(host, argv, { purpose: 'precondition', timeoutMs, note: what });
    const ms = ctx.clock.now() - t0;
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ').slice(0, 300);
    return {
      what,
      host,
      reachable: r.exitCode === 0,
      ms,
      evidence: r.exitCode === 0 ? 'answered' : `exit ${r.exitCode ?? 'none'}: ${tail}`,
    };
  } catch (e) {
    return {
      what,
      host,
      reachable: false,
      ms: ctx.clock.now() - t0,
      evidence: e instanceof TransportError ? e.message : errorMessage(e),
    };
  }
}

async function proveLoss(ctx: C): Promise<Probe[]> {
  const lostSite = ctx.inventory.clusters.find((c) => c.name === ctx.params.lost.cluster)?.site;
  const ms = ctx.params.probeSec * 1000;
  const hosts = ctx.inventory.hosts.filter(
    (h) =>
      (lostSite && h.site === lostSite) ||
      h.roles.some((r) => r.kind === 'ceph-mon' && r.cluster === ctx.params.lost.cluster),
  );
  const tasks: Promise<Probe>[] = hosts.map((h) => probe(ctx, `ssh ${h.id}`, h.id, dr.probe(), ms));
  for (const h of hosts) {
    for (const r of h.roles) {
      if (r.kind !== 'ceph-mon' || r.cluster !== ctx.params.lost.cluster) continue;
      tasks.push(
        probe(
          ctx,
          `ceph status via ${h.id}`,
          h.id,
          dr.cephStatus(cephTargetFromRole(r, ctx.params.probeSec)),
          ms + 5000,
        ),
      );
    }
  }
  const cp = ctx.params.cephProbe;
  if (cp) {
    const t = {
      sudo: false,
      conf: cp.conf,
      timeoutSec: ctx.params.probeSec,
      ...(cp.keyring ? { keyring: cp.keyring } : {}),
      ...(cp.clientId ? { clientId: cp.clientId } : {}),
    };
    tasks.push(
      probe(ctx, `ceph status of ${ctx.params.lost.cluster} from ${cp.host}`, cp.host, dr.cephStatus(t), ms + 5000),
    );
  }
  return Promise.all(tasks);
}

/** Why the survivor's rbd-mirror is left alone: no way to run it was given, or no snapshot image is promoted. */
function mirrorHoldSkip(c: { params: P; facts: Record<string, unknown> }): string | undefined {
  if (!c.params.mirrorDaemon)
    return "no mirrorDaemon in the parameters: if a forced promote of a snapshot image hangs, stop the survivor's rbd-mirror by hand and re-run the step (Ceph tracker 62163)";
  if (drFacts(c.facts).images && !wizardOwned(c.facts).some((i) => i.mode === 'snapshot'))
    return 'no snapshot-mirrored image is promoted by the wizard (the hang needs one)';
  return undefined;
}

/** Stop or start the survivor's rbd-mirror with the `mirrorDaemon` argvs, verified by its `isRunning`. */
function survivorMirrorStep(action: 'stop' | 'start', title: string, description: string): StepDef<P> {
  const want = action === 'stop' ? 'stopped' : 'running';
  return {
    id: `${action}-survivor-mirror`,
    title,
    phase: 'Failover',
    risk: 'change',
    description,
    skipIf: (c) => mirrorHoldSkip(c),
    plan: (c) => (c.params.mirrorDaemon ? [{ host: dir.to(c).host, argv: c.params.mirrorDaemon[action] }] : []),
    execute: async (ctx) => {
      const d = ctx.params.mirrorDaemon;
      if (d) await ctx.run(dir.to(ctx).host, d[action], { timeoutMs: 240_000 });
    },
    verify: async (ctx) => {
      const d = ctx.params.mirrorDaemon;
      if (!d) return { ok: true, evidence: 'no mirrorDaemon in the parameters' };
      const r = await ctx.run(dir.to(ctx).host, d.isRunning, { purpose: 'verify' });
      const running = r.exitCode === 0;
      return {
        ok: r.exitCode !== null && running === (want === 'running'),
        evidence: `rbd-mirror at ${dir.to(ctx).cluster}: isRunning exit ${r.exitCode ?? 'none'} (${want === 'running' ? '0 = running' : 'non-zero = stopped'})`,
      };
    },
  };
}

const lossOf = (ctx: { facts: Record<string, unknown> }): LossWindow | undefined =>
  ctx.facts['lossWindow'] as LossWindow | undefined;

const steps: StepDef<P>[] = [
  {
    id: 'prove-loss',
    title: 'Prove the loss: SSH and Ceph of the lost site unreachable',
    phase: 'Assess',
    risk: 'read',
    description:
      'Every probe is bounded (connect and Ceph timeouts); a site that answers is not lost: use the planned failover.',
    plan: (c) =>
      c.inventory.hosts
        .filter((h) => h.roles.some((r) => r.kind === 'ceph-mon' && r.cluster === c.params.lost.cluster))
        .map((h) => ({ host: h.id, argv: dr.probe(), note: `bounded to ${c.params.probeSec} s` })),
    execute: async (ctx) => {
      ctx.setFacts({ incidentStartedAt: ctx.clock.now(), probes: await proveLoss(ctx) });
    },
    verify: (ctx) => {
      const probes = (ctx.facts['probes'] as Probe[] | undefined) ?? [];
      const up = probes.filter((p) => p.reachable);
      const hasSsh = probes.some((p) => p.what.startsWith('ssh'));
      const hasCeph = probes.some((p) => p.what.startsWith('ceph'));
      const lines = probes.map(
        (p) =>
          `${p.reachable ? 'REACHABLE' : 'unreachable'} ${p.what} (${Math.round(p.ms / 100) / 10} s): ${p.evidence}`,
      );
      return Promise.resolve({
        ok: hasSsh && hasCeph && up.length === 0,
        evidence: `${up.length === 0 ? 'lost' : 'NOT lost'}: ${lines.join('; ')}`,
      });
    },
  },
  {
    id: 'discover',
    title: 'Discover the scope at the survivor',
    phase: 'Assess',
    risk: 'read',
    plan: (c) =>
      c.params.scope.pools.map((p) => ({ host: dir.to(c).host, argv: dr.mirrorPoolStatus(dir.to(c).target, p) })),
    execute: async (ctx) => {
      ctx.setFacts({ ...(await discoverScope(ctx, dir.to(ctx))) });
    },
    verify: (ctx) =>
      Promise.resolve({
        ok: (drFacts(ctx.facts).images?.length ?? 0) > 0,
        evidence: scopeEvidence(drFacts(ctx.facts)),
      }),
  },
  {
    id: 'loss-window',
    title: 'Show the data-loss window',
    phase: 'Assess',
    risk: 'read',
    description:
      "From the survivor's last observation: journal entries not replayed, age of the last mirror snapshot copied here.",
    plan: (c) => {
      const imgs = drFacts(c.facts).images ?? [];
      const to = dir.to(c);
      return [
        ...[...new Set(imgs.map((i) => i.pool))].map((p) => ({
          host: to.host,
          argv: dr.mirrorPoolStatus(to.target, p),
        })),
        ...imgs
          .filter((i) => i.mode === 'snapshot')
          .map((i) => ({
            host: to.host,
            argv: dr.snapLsAll(to.target, i.pool, i.name),
            note: 'only if the status has no snapshot time yet: the newest copied mirror snapshot',
          })),
      ];
    },
    execute: async (ctx) => {
      const imgs = drFacts(ctx.facts).images ?? [];
      const st = await statuses(ctx, dir.to(ctx), imgs, { purpose: 'verify' });
      const lostSite = ctx.params.lost.cluster;
      // Images without a published snapshot time: the survivor's own copied mirror snapshots, 4 at a time.
      const copied = new Map<string, number | null>();
      await pool(needsSnapshotList(imgs, st), 4, async (i) => {
        const snaps = await snapList(ctx, dir.to(ctx), i).catch(() => null);
        copied.set(specOf(i), snaps ? lastCopiedSnapshotSec(snaps) : null);
      });
      ctx.setFacts({ lossWindow: lossWindow(imgs, st, lostSite, ctx.clock.now(), copied) });
    },
    verify: (ctx) => {
      const l = lossOf(ctx);
      const missing = l?.images.filter((x) => x.missing) ?? [];
      return Promise.resolve({
        ok: !!l && missing.length === 0,
        evidence: missing.length
          ? `no copy at ${dir.to(ctx).cluster}: ${missing.map((x) => x.image).join(', ')}`
          : `data-loss window: ${l ? describeLoss(l) : '?'}`,
      });
    },
  },
  {
    id: 'fence-lost-site',
    title: 'Fence the lost site',
    phase: 'Assess',
    risk: 'change',
    skipIf: (c) => (c.params.fence === 'none' ? 'fencing declined in the parameters' : undefined),
    plan: () => [],
    manual: {
      instructions: (c) =>
        [
          `Make sure ${c.params.lost.cluster} cannot come back writing while ${c.params.survivor.cluster} is primary (STONITH, operator-pitfalls 14):`,
          '- power off or isolate its hosts (switch ports / security groups), or stop its OpenStack computes and Ceph clients;',
          '- when it returns it must not serve the old primaries: the failback wizard demotes and resyncs them.',
          'Mark this step done: the wizard probes the site again and expects it still unreachable.',
        ].join('\n'),
    },
    verify: async (ctx) => {
      const probes = await proveLoss(ctx);
      const up = probes.filter((p) => p.reachable);
      return {
        ok: up.length === 0,
        evidence: up.length
          ? `answers again: ${up.map((p) => p.what).join(', ')}`
          : `${probes.length} probes unreachable`,
      };
    },
  },
  survivorMirrorStep(
    'stop',
    "Stop the survivor's rbd-mirror for the promote",
    "With the lost site gone, the survivor's rbd-mirror waits on it without a timeout and keeps the snapshot images it replays open, so their forced promote hangs (Ceph tracker 62163, seen in the lab). It replicates nothing while the site is lost; it is started again after the failover. A daemon stuck that way can take its stop timeout to exit.",
  ),
  {
    id: 'force-promote',
    title: 'Force-promote at the survivor',
    phase: 'Failover',
    risk: 'destructive',
    description:
      'Writes not copied yet are lost (the window above); the lost site will be split-brained when it returns. Cinder volumes are left to failover-host.',
    confirm: (c) => {
      const l = lossOf(c);
      return {
        expected: c.params.lost.cluster,
        prompt: `Declare ${c.params.lost.cluster} lost and force-promote at ${c.params.survivor.cluster}; data-loss window: ${l ? describeLoss(l) : 'unknown'}. Type the lost cluster's name`,
      };
    },
    skipIf: (c) =>
      drFacts(c.facts).images && wizardOwned(c.facts).length === 0
        ? 'every image in scope is a Cinder volume (failover-host switches them)'
        : undefined,
    plan: (c) =>
      switchCommands(c, 'to', dir, {
        pool: (p) => dr.poolPromote(dir.to(c).target, p, true),
        image: (i) => dr.imagePromote(dir.to(c).target, i.pool, i.name, true),
      }),
    execute: async (ctx) => {
      if (ctx.facts['switchStartedAt'] === undefined) ctx.setFacts({ switchStartedAt: ctx.clock.now() });
      // Safe to run again after a crash: images already primary here are left alone, so a re-run after an
      // interrupted pool-level promote finishes image by image instead of force-promoting twice.
      const imgs = wizardOwned(ctx.facts);
      const infos = await pool(imgs, 4, (i) => rbdInfoIfExists(ctx, dir.to(ctx), i, { purpose: 'precondition' }));
      const todo = imgs.filter((_, k) => infos[k]?.mirroring?.primary !== true);
      const cmds =
        todo.length === imgs.length
          ? switchCommands(ctx, 'to', dir, {
              pool: (p) => dr.poolPromote(dir.to(ctx).target, p, true),
              image: (i) => dr.imagePromote(dir.to(ctx).target, i.pool, i.name, true),
            })
          : todo.map((i) => ({
              host: dir.to(ctx).host,
              argv: dr.imagePromote(dir.to(ctx).target, i.pool, i.name, true),
              note: `${specOf(i)}: not primary yet (re-run)`,
            }));
      for (const c of cmds) await ctx.run(c.host, c.argv, { ...(c.note ? { note: c.note } : {}) });
    },
    verify: async (ctx) => {
      const imgs = wizardOwned(ctx.facts);
      const infos = await pool(imgs, 4, (i) => rbdInfoIfExists(ctx, dir.to(ctx), i));
      const bad = imgs.filter((_, k) => infos[k]?.mirroring?.primary !== true);
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `not primary at ${dir.to(ctx).cluster}: ${bad.map(specOf).join(', ')}`
          : `${imgs.length} images primary at ${dir.to(ctx).cluster} (rbd info)`,
      };
    },
  },
  cinderFailoverStep(dir, 'Failover'),
  survivorMirrorStep(
    'start',
    "Start the survivor's rbd-mirror again",
    'The promoted images are primary here now, so it has nothing to hold; it must run again before the failback, when the returning site replays from here.',
  ),
  bringUpStep<P>((c) => c.params.survivor.cluster),
  azStep<P>(),
  {
    id: 'verify-and-report',
    title: 'Verify at the survivor and report RTO / RPO',
    phase: 'Verify',
    risk: 'read',
    plan: (c) =>
      (drFacts(c.facts).images ?? []).map((i) => ({
        host: dir.to(c).host,
        argv: dr.info(dir.to(c).target, i.pool, i.name),
      })),
    execute: () => Promise.resolve(),
    verify: async (ctx) => {
      const imgs = drFacts(ctx.facts).images ?? [];
      const infos = await pool(imgs, 4, (i) => rbdInfoIfExists(ctx, dir.to(ctx), i));
      const bad = imgs.filter((_, k) => infos[k]?.mirroring?.primary !== true);
      const t0 = ctx.facts['incidentStartedAt'] as number | undefined;
      const rtoMs = t0 !== undefined ? ctx.clock.now() - t0 : null;
      const l = lossOf(ctx);
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `not primary at ${dir.to(ctx).cluster}: ${bad.map(specOf).join(', ')}`
          : `${imgs.length} images primary at ${dir.to(ctx).cluster}. RTO ${rtoMs === null ? '?' : `${Math.round(rtoMs / 100) / 10} s`} (loss proven until verified). RPO: ${l ? describeLoss(l) : 'unknown'}. ${dir.from(ctx).cluster} will be split-brained when it returns: run dr-failback.`,
        facts: { rtoMs, rpoSeconds: l?.worstSnapshotAgeSec ?? null, rpoEntries: l?.maxEntriesBehind ?? null },
      };
    },
  },
];

export const unplannedFailoverWizard = defineWizard<P>({
  id: 'dr-unplanned-failover',
  title: 'DR: unplanned failover (primary site lost)',
  description:
    'Proves the primary site is gone with bounded probes, shows the data-loss window, force-promotes at the DR site after a typed confirmation, fails Cinder over, brings the workload up, verifies and reports RTO / RPO.',
  params: unplannedFailoverParamsSchema as unknown as z.ZodType<P>,
  phases: ['Assess', 'Failover', 'Bring-up', 'Verify'],
  downtime: { from: 'Assess', to: 'Verify' },
  steps,
});
