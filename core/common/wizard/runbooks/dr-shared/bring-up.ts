/**
 * Bringing the workload up at the survivor after an unplanned failover: the servers' disks were open against the
 * lost cluster, so every server in scope is restarted from the hypervisor's point of view — a hard reboot when it
 * is still ACTIVE (its guest I/O hangs on the dead monitors otherwise), a start when it is SHUTOFF — after Cinder
 * has failed its volumes over. A server in any other state (ERROR, a compute host that went down with the site)
 * needs an operator decision (evacuate, reset-state): the step fails with the list rather than guessing.
 */
import { StepFailedError } from '../../errors';
import type { PlanContext, StepDef } from '../../types';
import { oscmd } from './commands';
import { cloudState } from './observe';
import { controllerOf, drFacts, type SwitchParams } from './params';
import { noServers } from './switch';

const actionOf = (status: string | null): 'reboot' | 'start' | null =>
  status === 'ACTIVE' ? 'reboot' : status === 'SHUTOFF' ? 'start' : null;

export function bringUpStep<P extends SwitchParams>(survivor: (c: PlanContext<P>) => string): StepDef<P> {
  return {
    id: 'bring-up-workload',
    title: 'Bring the workload up at the survivor',
    phase: 'Bring-up',
    risk: 'change',
    description:
      'After failover-host: ACTIVE servers are hard-rebooted and SHUTOFF ones started, so the hypervisor opens their disks against the survivor. Any other state stops the step with the server named (evacuate or reset-state by hand).',
    skipIf: noServers,
    plan: (c) => {
      const ctl = controllerOf(c.inventory, c.params.openstack);
      if (!ctl) return [];
      return (drFacts(c.facts).servers ?? []).map((s) => {
        const a = actionOf(s.status);
        return {
          host: ctl.host,
          argv: a === 'start' ? oscmd.serverStart(ctl.role, s.id) : oscmd.serverRebootHard(ctl.role, s.id),
          note: `${s.name ?? s.id} (${s.status ?? '?'}) onto ${survivor(c)}`,
          ...(a === null ? { placeholder: true } : {}),
        };
      });
    },
    execute: async (ctx) => {
      const ctl = controllerOf(ctx.inventory, ctx.params.openstack);
      const cloud = await cloudState(ctx, { purpose: 'precondition' });
      if (!ctl || !cloud) throw new StepFailedError('no OpenStack controller to bring the servers up with');
      const scope = ctx.params.scope.servers;
      const missing = scope.filter((id) => !cloud.servers.some((s) => s.id === id));
      const stuck = cloud.servers.filter((s) => scope.includes(s.id) && actionOf(s.status) === null);
      if (missing.length || stuck.length)
        throw new StepFailedError(
          `servers that need the operator: ${[...missing.map((id) => `${id} not found in Nova`), ...stuck.map((s) => `${s.name ?? s.id} ${s.status ?? '?'} on ${s.host ?? '?'}`)].join(', ')}`,
          'evacuate them to a compute host of the surviving site, or reset their state, then re-run this step',
        );
      ctx.setFacts({ serversToStart: scope });
      for (const s of cloud.servers.filter((x) => scope.includes(x.id))) {
        const argv =
          actionOf(s.status) === 'start' ? oscmd.serverStart(ctl.role, s.id) : oscmd.serverRebootHard(ctl.role, s.id);
        const r = await ctx.run(ctl.host, argv, { note: s.name ?? s.id });
        if (r.exitCode !== 0)
          throw new StepFailedError(
            `bringing ${s.name ?? s.id} up failed (exit ${r.exitCode ?? 'none'})`,
            r.stderr.slice(-1500),
          );
      }
    },
    wait: {
      intervalMs: 3000,
      timeoutMs: 600_000,
      poll: async (ctx) => {
        const cloud = await cloudState(ctx, { purpose: 'poll' });
        const want = ctx.params.scope.servers;
        const n = want.filter((id) => cloud?.servers.find((s) => s.id === id)?.status === 'ACTIVE').length;
        return {
          done: n === want.length,
          progress: { done: n, total: want.length, message: `${n}/${want.length} ACTIVE` },
          evidence: (cloud?.servers ?? [])
            .filter((s) => want.includes(s.id) && s.status !== 'ACTIVE')
            .map((s) => `${s.name ?? s.id} ${s.status ?? '?'}`)
            .join(', '),
        };
      },
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const want = ctx.params.scope.servers;
      const bad = want.filter((id) => cloud?.servers.find((s) => s.id === id)?.status !== 'ACTIVE');
      const vols = (cloud?.volumes ?? []).filter((v) => v.attachedServerIds.some((id) => want.includes(id)));
      const detached = vols.filter((v) => v.status !== 'in-use');
      return {
        ok: bad.length === 0 && detached.length === 0,
        facts: { upAt: ctx.clock.now() },
        evidence: [
          bad.length ? `not ACTIVE: ${bad.join(', ')}` : `${want.length} servers ACTIVE`,
          detached.length
            ? `volumes not in-use: ${detached.map((v) => `${v.id} ${v.status ?? '?'}`).join(', ')}`
            : `${vols.length} attached volumes in-use`,
        ].join('; '),
      };
    },
  };
}
