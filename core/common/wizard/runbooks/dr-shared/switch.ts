/**
 * The planned switch of a scope from one site to the other, shared by planned failover and the second half of
 * failback: wait until caught up, stop the servers, demote, wait until the demotion is seen on the other side,
 * (checksum both read-only sides), promote with EBUSY retries, Cinder failover-host, bring the servers up, wait
 * until the old side replays from the new one (split-brain stops the run: never retried away), verify with
 * `rbd info` on BOTH sides, report RTO and RPO.
 */
import { StepFailedError } from '../../errors';
import type { PlanContext, PlannedCommand, StepContext, StepDef } from '../../types';
import { backendAt, cinderBackend } from './cinder';
import { dr, oscmd } from './commands';
import { caughtUp, cloudState, demotionSeen, parseSha, pool, primaryFlags, rbdInfoIfExists, statuses } from './observe';
import {
  cinderOwned,
  controllerOf,
  drFacts,
  specOf,
  wizardOwned,
  type Direction,
  type DrImage,
  type SwitchParams,
} from './params';

type Ctx<P> = PlanContext<P>;

export function noServers<P extends SwitchParams>(c: Ctx<P>): string | undefined {
  if (!c.params.openstack) return 'no OpenStack controller in the parameters';
  return c.params.scope.servers.length === 0 ? 'no servers in the scope' : undefined;
}

/** Pool-level commands for whole pools without Cinder volumes, image-level for the rest of the wizard's images. */
export function switchCommands<P extends SwitchParams>(
  c: Ctx<P>,
  side: 'from' | 'to',
  dir: Direction<P>,
  build: { pool(pool: string): string[]; image(i: DrImage): string[] },
): PlannedCommand[] {
  const end = side === 'from' ? dir.from(c) : dir.to(c);
  const f = drFacts(c.facts);
  if (!f.images)
    return c.params.scope.pools.map((p) => ({
      host: end.host,
      argv: build.pool(p),
      placeholder: true,
      note: 'pool- or image-level, decided by discovery',
    }));
  const poolLevel = new Set(f.poolLevel ?? []);
  const cmds: PlannedCommand[] = [...poolLevel].map((p) => ({
    host: end.host,
    argv: build.pool(p),
    note: `every mirrored image of ${p}`,
  }));
  for (const i of wizardOwned(c.facts))
    if (!poolLevel.has(i.pool)) cmds.push({ host: end.host, argv: build.image(i), note: i.openstack });
  return cmds;
}

async function checksumAll<P>(
  ctx: StepContext<P>,
  end: ReturnType<Direction<P>['from']>,
  images: DrImage[],
): Promise<Record<string, string>> {
  const sums = await pool(images, 4, async (i) => {
    const r = await ctx.run(end.host, dr.checksum(end.target, i.pool, i.name), {
      purpose: 'verify',
      timeoutMs: 3_600_000,
      note: `sha256 of ${specOf(i)} on ${end.cluster}`,
    });
    if (r.exitCode !== 0)
      throw new StepFailedError(
        `checksum of ${specOf(i)} on ${end.cluster} failed (exit ${r.exitCode ?? 'none'})`,
        r.stderr.slice(-1000),
      );
    return parseSha(r.stdout);
  });
  return Object.fromEntries(images.map((i, k) => [specOf(i), sums[k] ?? '']));
}

function startedSwitch<P>(ctx: StepContext<P>): void {
  if (drFacts(ctx.facts).switchStartedAt === undefined) ctx.setFacts({ switchStartedAt: ctx.clock.now() });
}

/**
 * The images demoted by the wizard: its own, plus the Cinder volumes when Cinder fails over in this run. Cinder's
 * driver demotes and promotes (without force) back to back, and in 2 of 5 traced cycles the promote won the race and
 * left split-brain (openstack-facts.md 7). Demoting the volumes here and waiting until the other side has the
 * demotion makes the driver's own demote a no-op (it then force-promotes an image whose demotion was replayed).
 */
export function demotedImages<P extends SwitchParams>(c: Ctx<P>, dir: Direction<P>): DrImage[] {
  const cinderHere = !!c.params.openstack?.cinder && !!dir.backendId(c);
  return [...wizardOwned(c.facts), ...(cinderHere ? cinderOwned(c.facts) : [])];
}

export function switchSteps<P extends SwitchParams>(dir: Direction<P>): StepDef<P>[] {
  const images = (c: Ctx<P>): DrImage[] => drFacts(c.facts).images ?? [];
  const demoted = (c: Ctx<P>): DrImage[] => demotedImages(c, dir);
  const cinderDemotes = (c: Ctx<P>): PlannedCommand[] =>
    demoted(c)
      .filter((i) => i.owner === 'cinder')
      .map((i) => ({
        host: dir.from(c).host,
        argv: dr.imageDemote(dir.from(c).target, i.pool, i.name),
        note: `${i.openstack ?? specOf(i)}: demoted before failover-host (no promote racing the demote)`,
      }));
  return [
    {
      id: 'wait-caught-up',
      title: 'Wait until the other site has caught up',
      phase: 'Prepare',
      risk: 'read',
      description: 'Journal: 0 entries behind; snapshot: idle on the latest mirror snapshot. Keeps the downtime short.',
      plan: (c) =>
        [...new Set(images(c).map((i) => i.pool))].map((p) => ({
          host: dir.to(c).host,
          argv: dr.mirrorPoolStatus(dir.to(c).target, p),
          note: 'polled',
        })),
      execute: () => Promise.resolve(),
      wait: {
        intervalMs: 3000,
        timeoutMs: 1_800_000,
        timeoutFrom: (c) => c.params.timeouts.catchUpSec * 1000,
        poll: async (ctx) => {
          const imgs = images(ctx);
          const st = await statuses(ctx, dir.to(ctx), imgs);
          const lag = imgs.filter((i) => !caughtUp(st.get(specOf(i)), i.mode));
          const split = imgs.filter((i) => st.get(specOf(i))?.parsed.splitBrain === true);
          if (split.length)
            throw new StepFailedError(
              `split-brain on ${dir.to(ctx).cluster}: ${split.map(specOf).join(', ')} (resolve with the failback wizard)`,
            );
          return {
            done: lag.length === 0,
            progress: {
              done: imgs.length - lag.length,
              total: imgs.length,
              message: `${imgs.length - lag.length}/${imgs.length} caught up`,
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
        Promise.resolve({ ok: true, evidence: `${images(ctx).length} images caught up on ${dir.to(ctx).cluster}` }),
    },
    {
      id: 'stop-servers',
      title: 'Stop the servers',
      phase: 'Switch-over',
      risk: 'change',
      skipIf: noServers,
      plan: (c) => {
        const ctl = controllerOf(c.inventory, c.params.openstack);
        return ctl
          ? (drFacts(c.facts).servers ?? [])
              .filter((s) => s.status === 'ACTIVE')
              .map((s) => ({ host: ctl.host, argv: oscmd.serverStop(ctl.role, s.id), note: s.name ?? s.id }))
          : [];
      },
      execute: async (ctx) => {
        startedSwitch(ctx);
        const ctl = controllerOf(ctx.inventory, ctx.params.openstack);
        const cloud = await cloudState(ctx, { purpose: 'precondition' });
        if (!ctl || !cloud) return;
        const active = cloud.servers
          .filter((s) => ctx.params.scope.servers.includes(s.id) && s.status === 'ACTIVE')
          .map((s) => s.id);
        ctx.setFacts({ serversToStart: [...new Set([...(drFacts(ctx.facts).serversToStart ?? []), ...active])] });
        for (const id of active) await ctx.run(ctl.host, oscmd.serverStop(ctl.role, id));
      },
      wait: {
        intervalMs: 3000,
        timeoutMs: 600_000,
        poll: async (ctx) => {
          const cloud = await cloudState(ctx, { purpose: 'poll' });
          const want = drFacts(ctx.facts).serversToStart ?? [];
          const off = want.filter((id) => cloud?.servers.find((s) => s.id === id)?.status === 'SHUTOFF').length;
          return {
            done: off === want.length,
            progress: { done: off, total: want.length, message: `${off}/${want.length} SHUTOFF` },
            evidence: '',
          };
        },
      },
      verify: async (ctx) => {
        const cloud = await cloudState(ctx);
        const bad = (cloud?.servers ?? []).filter(
          (s) => ctx.params.scope.servers.includes(s.id) && s.status !== 'SHUTOFF',
        );
        return {
          ok: bad.length === 0,
          evidence: bad.length
            ? `not SHUTOFF: ${bad.map((s) => `${s.id} ${s.status ?? ''}`).join(', ')}`
            : `${ctx.params.scope.servers.length} servers SHUTOFF`,
        };
      },
    },
    {
      id: 'demote',
      title: 'Demote at the current primary',
      phase: 'Switch-over',
      risk: 'destructive',
      description:
        'From here the current primary is read-only. Replicated Cinder volumes are demoted too when Cinder fails over in this run; failover-host then promotes them at the other site.',
      confirm: (c) => ({
        expected: dir.from(c).cluster,
        prompt: `Demote the scope's images at ${dir.from(c).cluster} (it becomes read-only)`,
      }),
      skipIf: (c) =>
        drFacts(c.facts).images && demoted(c).length === 0
          ? 'every image in scope is a Cinder volume and Cinder does not fail over in this run'
          : undefined,
      plan: (c) => [
        ...(wizardOwned(c.facts).length || !drFacts(c.facts).images
          ? switchCommands(c, 'from', dir, {
              pool: (p) => dr.poolDemote(dir.from(c).target, p),
              image: (i) => dr.imageDemote(dir.from(c).target, i.pool, i.name),
            })
          : []),
        ...cinderDemotes(c),
      ],
      execute: async (ctx) => {
        startedSwitch(ctx);
        const own = switchCommands(ctx, 'from', dir, {
          pool: (p) => dr.poolDemote(dir.from(ctx).target, p),
          image: (i) => dr.imageDemote(dir.from(ctx).target, i.pool, i.name),
        });
        // Idempotent: after a crash, an image already non-primary is not demoted again (rbd refuses it).
        const flags = await primaryFlags(ctx, dir.from(ctx), dir.to(ctx), demoted(ctx));
        const todo = new Set(flags.filter((x) => x.a === true).map((x) => specOf(x.image)));
        const fresh = todo.size === flags.length;
        const imageDemote = (i: DrImage, note: string): PlannedCommand => ({
          host: dir.from(ctx).host,
          argv: dr.imageDemote(dir.from(ctx).target, i.pool, i.name),
          note,
        });
        const plan = [
          ...(fresh
            ? own
            : wizardOwned(ctx.facts)
                .filter((i) => todo.has(specOf(i)))
                .map((i) => imageDemote(i, `${specOf(i)} (re-run)`))),
          ...cinderDemotes(ctx).filter((c) => todo.has(c.argv[c.argv.length - 1] ?? '')),
        ];
        for (const c of plan) await ctx.run(c.host, c.argv, { ...(c.note ? { note: c.note } : {}) });
      },
      verify: async (ctx) => {
        const flags = await primaryFlags(ctx, dir.from(ctx), dir.to(ctx), demoted(ctx));
        const bad = flags.filter((x) => x.a !== false);
        return {
          ok: bad.length === 0,
          evidence: bad.length
            ? `still primary at ${dir.from(ctx).cluster}: ${bad.map((x) => specOf(x.image)).join(', ')}`
            : `${flags.length} images non-primary at ${dir.from(ctx).cluster}`,
        };
      },
    },
    {
      id: 'wait-demotion-propagated',
      title: 'Wait until the other site has taken the demotion',
      phase: 'Switch-over',
      risk: 'read',
      description:
        'Promoting before every image shows up+stopped (journal) or up+unknown (snapshot) fails EBUSY partway (ceph-facts.md 6). Reaching this state also proves RPO 0: everything up to the demotion was replayed.',
      skipIf: (c) =>
        drFacts(c.facts).images && demoted(c).length === 0 ? 'no image demoted by the wizard' : undefined,
      plan: (c) =>
        [...new Set(demoted(c).map((i) => i.pool))].map((p) => ({
          host: dir.to(c).host,
          argv: dr.mirrorPoolStatus(dir.to(c).target, p),
          note: 'polled',
        })),
      execute: () => Promise.resolve(),
      wait: {
        intervalMs: 2000,
        timeoutMs: 600_000,
        timeoutFrom: (c) => c.params.timeouts.propagationSec * 1000,
        poll: async (ctx) => {
          const imgs = demoted(ctx);
          const st = await statuses(ctx, dir.to(ctx), imgs);
          const waiting = imgs.filter((i) => !demotionSeen(st.get(specOf(i))));
          return {
            done: waiting.length === 0,
            progress: {
              done: imgs.length - waiting.length,
              total: imgs.length,
              message: `${imgs.length - waiting.length}/${imgs.length} show the demotion`,
            },
            evidence: waiting.map((i) => `${specOf(i)}: ${st.get(specOf(i))?.state?.raw ?? 'not listed'}`).join('\n'),
          };
        },
      },
      verify: async (ctx) => {
        const imgs = demoted(ctx);
        const st = await statuses(ctx, dir.to(ctx), imgs, { purpose: 'verify' });
        const waiting = imgs.filter((i) => !demotionSeen(st.get(specOf(i))));
        return {
          ok: waiting.length === 0,
          evidence: `${imgs.length - waiting.length}/${imgs.length} images up+stopped/up+unknown at ${dir.to(ctx).cluster}`,
        };
      },
    },
    {
      id: 'checksum-both',
      title: 'Checksum both sides while both are read-only',
      phase: 'Switch-over',
      risk: 'read',
      skipIf: (c) => (c.params.checksums ? undefined : 'checksums not asked for in the parameters'),
      plan: (c) =>
        demoted(c).flatMap((i) =>
          [dir.from(c), dir.to(c)].map((e) => ({ host: e.host, argv: dr.checksum(e.target, i.pool, i.name) })),
        ),
      execute: async (ctx) => {
        const imgs = demoted(ctx);
        const [a, b] = await Promise.all([checksumAll(ctx, dir.from(ctx), imgs), checksumAll(ctx, dir.to(ctx), imgs)]);
        ctx.setFacts({ sumsFrom: a, sumsTo: b });
      },
      verify: (ctx) => {
        const f = drFacts(ctx.facts);
        const keys = Object.keys(f.sumsFrom ?? {});
        const diff = keys.filter((k) => f.sumsFrom?.[k] !== f.sumsTo?.[k]);
        return Promise.resolve({
          ok: diff.length === 0,
          evidence: diff.length
            ? `differ: ${diff.join(', ')}`
            : `${keys.length} images identical on both sides (sha256)`,
        });
      },
    },
    {
      id: 'promote',
      title: 'Promote at the other site (retry on EBUSY)',
      phase: 'Switch-over',
      risk: 'change',
      retry: { onExitCodes: [16], attempts: 8, delayMs: 5000 },
      skipIf: (c) =>
        drFacts(c.facts).images && wizardOwned(c.facts).length === 0 ? 'no image switched by the wizard' : undefined,
      plan: (c) =>
        switchCommands(c, 'to', dir, {
          pool: (p) => dr.poolPromote(dir.to(c).target, p),
          image: (i) => dr.imagePromote(dir.to(c).target, i.pool, i.name),
        }),
      verify: async (ctx) => {
        const flags = await primaryFlags(ctx, dir.from(ctx), dir.to(ctx), wizardOwned(ctx.facts));
        const bad = flags.filter((x) => x.a !== false || x.b !== true);
        return {
          ok: bad.length === 0,
          facts: { promotedAt: ctx.clock.now() },
          evidence: bad.length
            ? `not primary at ${dir.to(ctx).cluster} only: ${bad.map((x) => `${specOf(x.image)} (${dir.from(ctx).cluster} ${String(x.a)}, ${dir.to(ctx).cluster} ${String(x.b)})`).join('; ')}`
            : `${flags.length} images primary at ${dir.to(ctx).cluster} only`,
        };
      },
    },
    cinderFailoverStep(dir),
    {
      id: 'start-servers',
      title: 'Start the servers at the new primary',
      phase: 'Bring-up',
      risk: 'change',
      skipIf: noServers,
      plan: (c) => {
        const ctl = controllerOf(c.inventory, c.params.openstack);
        return ctl
          ? (drFacts(c.facts).serversToStart ?? c.params.scope.servers).map((id) => ({
              host: ctl.host,
              argv: oscmd.serverStart(ctl.role, id),
            }))
          : [];
      },
      execute: async (ctx) => {
        const ctl = controllerOf(ctx.inventory, ctx.params.openstack);
        const cloud = await cloudState(ctx, { purpose: 'precondition' });
        if (!ctl || !cloud) return;
        for (const id of drFacts(ctx.facts).serversToStart ?? [])
          if (cloud.servers.find((s) => s.id === id)?.status === 'SHUTOFF')
            await ctx.run(ctl.host, oscmd.serverStart(ctl.role, id));
      },
      wait: {
        intervalMs: 3000,
        timeoutMs: 600_000,
        poll: async (ctx) => {
          const cloud = await cloudState(ctx, { purpose: 'poll' });
          const want = drFacts(ctx.facts).serversToStart ?? [];
          const n = want.filter((id) => cloud?.servers.find((s) => s.id === id)?.status === 'ACTIVE').length;
          return {
            done: n === want.length,
            progress: { done: n, total: want.length, message: `${n}/${want.length} ACTIVE` },
            evidence: '',
          };
        },
      },
      verify: async (ctx) => {
        const cloud = await cloudState(ctx);
        const want = drFacts(ctx.facts).serversToStart ?? [];
        const bad = want.filter((id) => cloud?.servers.find((s) => s.id === id)?.status !== 'ACTIVE');
        return {
          ok: bad.length === 0,
          facts: { upAt: ctx.clock.now() },
          evidence: bad.length ? `not ACTIVE: ${bad.join(', ')}` : `${want.length} servers ACTIVE`,
        };
      },
    },
    azStep(),
    {
      id: 'wait-reverse-replication',
      title: 'Wait until the old primary replays from the new one',
      phase: 'Verify',
      risk: 'read',
      description:
        'The demoted side must show up+replaying (no split-brain) before anyone fails back (openstack-facts.md 7). A split-brain stops the run with the evidence: it is never retried away.',
      plan: (c) =>
        [...new Set(images(c).map((i) => i.pool))].map((p) => ({
          host: dir.from(c).host,
          argv: dr.mirrorPoolStatus(dir.from(c).target, p),
          note: 'polled',
        })),
      execute: () => Promise.resolve(),
      wait: {
        intervalMs: 3000,
        timeoutMs: 600_000,
        timeoutFrom: (c) => c.params.timeouts.reverseSec * 1000,
        poll: async (ctx) => {
          const imgs = images(ctx);
          const st = await statuses(ctx, dir.from(ctx), imgs);
          const split = imgs.filter((i) => st.get(specOf(i))?.parsed.splitBrain === true);
          if (split.length)
            throw new StepFailedError(
              `split-brain at ${dir.from(ctx).cluster}: ${split.map(specOf).join(', ')}`,
              split.map((i) => `${specOf(i)}: ${st.get(specOf(i))?.description ?? ''}`).join('\n'),
            );
          const ok = imgs.filter((i) => st.get(specOf(i))?.state?.raw === 'up+replaying');
          return {
            done: ok.length === imgs.length,
            progress: {
              done: ok.length,
              total: imgs.length,
              message: `${ok.length}/${imgs.length} up+replaying at ${dir.from(ctx).cluster}`,
            },
            evidence: imgs
              .filter((i) => !ok.includes(i))
              .map((i) => `${specOf(i)}: ${st.get(specOf(i))?.state?.raw ?? 'not listed'}`)
              .join('\n'),
          };
        },
      },
      verify: (ctx) =>
        Promise.resolve({
          ok: true,
          evidence: `${images(ctx).length} images replay at ${dir.from(ctx).cluster} from ${dir.to(ctx).cluster}`,
        }),
    },
    {
      id: 'verify-both-sides',
      title: 'Verify on both sides and report RTO / RPO',
      phase: 'Verify',
      risk: 'read',
      plan: (c) =>
        images(c).flatMap((i) =>
          [dir.from(c), dir.to(c)].map((e) => ({ host: e.host, argv: dr.info(e.target, i.pool, i.name) })),
        ),
      execute: () => Promise.resolve(),
      verify: async (ctx) => {
        const flags = await primaryFlags(ctx, dir.from(ctx), dir.to(ctx), images(ctx));
        const bad = flags.filter((x) => x.a !== false || x.b !== true);
        const f = drFacts(ctx.facts);
        // RTO: from the first stop/demote until the last of promote, Cinder failover and servers up was verified.
        const ends = ['promotedAt', 'cinderAt', 'upAt']
          .map((k) => ctx.facts[k])
          .filter((x): x is number => typeof x === 'number');
        const rtoMs = f.switchStartedAt !== undefined && ends.length ? Math.max(...ends) - f.switchStartedAt : null;
        const sums = Object.keys(f.sumsFrom ?? {}).length;
        const rpo = `RPO 0: every image showed the demotion at ${dir.to(ctx).cluster} before the promote${sums ? `, ${sums} checksums equal` : ''}`;
        const rto = `RTO ${rtoMs === null ? '?' : `${Math.round(rtoMs / 100) / 10} s`} (first stop/demote until promoted, failed over and started)`;
        return {
          ok: bad.length === 0,
          evidence: bad.length
            ? `wrong primary flags: ${bad.map((x) => `${specOf(x.image)} (${dir.from(ctx).cluster} ${String(x.a)}, ${dir.to(ctx).cluster} ${String(x.b)})`).join('; ')}`
            : `${flags.length} images: mirroring.primary true at ${dir.to(ctx).cluster}, false at ${dir.from(ctx).cluster}. ${rto}. ${rpo}.`,
          facts: { rtoMs, rpoSeconds: 0 },
        };
      },
    },
  ];
}

/** Cinder failover-host (or failback with "default"): the whole backend moves; its driver switches its volumes. */
export function cinderFailoverStep<P extends SwitchParams>(dir: Direction<P>, phase = 'Switch-over'): StepDef<P> {
  return {
    id: 'cinder-failover',
    title: 'Cinder failover-host to the other site',
    phase,
    risk: 'change',
    description:
      'Every non-replicated volume of the backend goes to error (openstack-facts.md 6); the success message proves nothing, so the backend state and rbd info on the volumes are read back.',
    skipIf: (c) =>
      c.params.openstack?.cinder
        ? dir.backendId(c)
          ? undefined
          : 'no Cinder backend id for this direction'
        : 'no Cinder backend in the parameters',
    plan: (c) => {
      const ctl = controllerOf(c.inventory, c.params.openstack);
      const ci = c.params.openstack?.cinder;
      const id = dir.backendId(c);
      return ctl && ci && id
        ? [{ host: ctl.host, argv: oscmd.failoverHost(ctl.role, ci.host, id), timeoutMs: 600_000 }]
        : [];
    },
    preconditions: (ctx) => {
      const ctl = controllerOf(ctx.inventory, ctx.params.openstack);
      const ok = !!ctl && !!ctl.role.openrc && !ctl.role.cloud;
      return Promise.resolve([
        {
          name: 'openrc for python-cinderclient',
          ok,
          evidence: ok
            ? `openrc ${ctl?.role.openrc ?? ''}`
            : 'the controller role needs an openrc (cinderclient does not read clouds.yaml)',
        },
      ]);
    },
    wait: {
      intervalMs: 3000,
      timeoutMs: 900_000,
      poll: async (ctx) => {
        const s = await cinderBackend(ctx);
        const id = dir.backendId(ctx) ?? '';
        if (s && /error/.test(s.replicationStatus))
          throw new StepFailedError(
            `Cinder backend ${s.host}: replication status ${s.replicationStatus}`,
            JSON.stringify(s),
          );
        const done = backendAt(s, id);
        return {
          done,
          progress: {
            done: done ? 1 : 0,
            total: 1,
            message: `backend ${s?.host ?? '?'}: ${s?.replicationStatus ?? '?'} / active ${s?.activeBackendId || '-'}`,
          },
          evidence: JSON.stringify(s ?? null),
        };
      },
    },
    verify: async (ctx) => {
      const s = await cinderBackend(ctx);
      const id = dir.backendId(ctx) ?? '';
      const vols = cinderOwned(ctx.facts);
      const flags = await pool(vols, 4, async (i) => ({ i, info: await rbdInfoIfExists(ctx, dir.to(ctx), i) }));
      const bad = flags.filter((x) => x.info?.mirroring?.primary !== true);
      const cloud = vols.length ? await cloudState(ctx) : undefined;
      const want = id === 'default' ? 'enabled' : 'failed-over';
      const badVols = vols.filter(
        (i) => cloud?.volumes.find((v) => `volume-${v.id}` === i.name)?.replicationStatus !== want,
      );
      const ok = backendAt(s, id) && bad.length === 0 && badVols.length === 0;
      return {
        ok,
        facts: { cinderAt: ctx.clock.now() },
        evidence: `backend ${s?.host ?? '?'} replication ${s?.replicationStatus ?? '?'} active ${s?.activeBackendId || '-'}; ${vols.length - bad.length}/${vols.length} volumes primary at ${dir.to(ctx).cluster}${bad.length ? ` (not: ${bad.map((x) => specOf(x.i)).join(', ')})` : ''}${badVols.length ? `; replication_status not ${want}: ${badVols.map(specOf).join(', ')}` : ''}`,
      };
    },
  };
}

/** Re-homing servers in the DR site's availability zone is deployment-specific: a manual, verified step. */
export function azStep<P extends SwitchParams>(): StepDef<P> {
  return {
    id: 'reassign-az',
    title: 'Re-home the servers in the DR availability zone',
    phase: 'Bring-up',
    risk: 'change',
    skipIf: (c) =>
      c.params.openstack?.availabilityZone
        ? noServers(c)
        : 'no availability zone given: the servers stay where they are',
    plan: () => [],
    manual: {
      instructions: (c) =>
        [
          `Move the servers to availability zone ${c.params.openstack?.availabilityZone ?? '?'} (the DR site):`,
          ...(drFacts(c.facts).servers ?? []).map(
            (s) =>
              `- ${s.name ?? s.id}: openstack server shelve ${s.id}; then openstack --os-compute-api-version 2.77 server unshelve --availability-zone ${c.params.openstack?.availabilityZone ?? '?'} ${s.id}`,
          ),
          'Boot-from-volume servers keep their volumes (now served by the DR Ceph after failover-host). Mark this step done: the wizard checks AZ and ACTIVE.',
        ].join('\n'),
      terminal: (c) => (c.params.openstack ? { host: c.params.openstack.controller } : undefined),
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const az = ctx.params.openstack?.availabilityZone;
      const bad = (cloud?.servers ?? []).filter(
        (s) => ctx.params.scope.servers.includes(s.id) && (s.availabilityZone !== az || s.status !== 'ACTIVE'),
      );
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `not ACTIVE in ${az ?? '?'}: ${bad.map((s) => `${s.id} ${s.availabilityZone ?? '?'} ${s.status ?? '?'}`).join(', ')}`
          : `${ctx.params.scope.servers.length} servers ACTIVE in ${az ?? '?'}`,
      };
    },
  };
}
