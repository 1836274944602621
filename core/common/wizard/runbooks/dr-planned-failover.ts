/**
 * Planned failover (both sites up): move a scope — whole pools, or a workload of servers with their volumes, Nova
 * disks and Glance images — from the primary site to the DR site with RPO 0. Traps of ceph-facts.md 5/6 and
 * openstack-facts.md 6/7 are built in: wait on observed state with bounded polls, promote only after the demotion
 * is seen, retry EBUSY, verify with `rbd info` on both sides, stop on split-brain.
 */
import { z } from 'zod';
import { defineWizard } from '../define';
import type { StepDef } from '../types';
import { dr } from './dr-shared/commands';
import { discoverScope, scopeEvidence } from './dr-shared/discover';
import { primaryFlags } from './dr-shared/observe';
import {
  clusterEnd,
  drFacts,
  endSchema,
  openstackSchema,
  scopeSchema,
  specOf,
  timeoutsSchema,
  type Direction,
} from './dr-shared/params';
import { switchSteps } from './dr-shared/switch';

export const plannedFailoverParamsSchema = z
  .object({
    /** The site serving now (demoted). */
    primary: endSchema,
    /** The DR site (promoted). */
    secondary: endSchema,
    scope: scopeSchema,
    openstack: openstackSchema.optional(),
    checksums: z.boolean().default(false),
    timeouts: timeoutsSchema,
  })
  .refine((p) => p.primary.cluster !== p.secondary.cluster, 'primary and secondary must be different clusters');
export type PlannedFailoverParams = z.infer<typeof plannedFailoverParamsSchema>;

const dir: Direction<PlannedFailoverParams> = {
  from: (c) => clusterEnd(c.inventory, c.params.primary.cluster, c.params.primary.host),
  to: (c) => clusterEnd(c.inventory, c.params.secondary.cluster, c.params.secondary.host),
  backendId: (c) => c.params.openstack?.cinder?.backendId,
};

export function preflightSteps<P extends PlannedFailoverParams>(d: Direction<P>): StepDef<P>[] {
  return [
    {
      id: 'discover',
      title: 'Discover the scope',
      phase: 'Prepare',
      risk: 'read',
      description:
        'Lists every image in scope at the primary (mode, global id, owner) and the servers; names the unprotected parts.',
      plan: (c) => [
        { host: d.from(c).host, argv: dr.cephStatus(d.from(c).target) },
        { host: d.to(c).host, argv: dr.cephStatus(d.to(c).target) },
        ...c.params.scope.pools.map((p) => ({ host: d.from(c).host, argv: dr.mirrorPoolStatus(d.from(c).target, p) })),
        {
          host: d.from(c).host,
          argv: dr.info(d.from(c).target, c.params.scope.pools[0] ?? 'POOL', 'IMAGE'),
          placeholder: true,
          note: 'rbd info for each image found',
        },
      ],
      execute: async (ctx) => {
        ctx.setFacts({ ...(await discoverScope(ctx, d.from(ctx))) });
      },
      verify: (ctx) => {
        const f = drFacts(ctx.facts);
        return Promise.resolve({ ok: (f.images?.length ?? 0) > 0, evidence: scopeEvidence(f) });
      },
    },
    {
      id: 'check-ready',
      title: 'Check both sites: primary here, non-primary there, nothing unprotected',
      phase: 'Prepare',
      risk: 'read',
      plan: (c) => [{ host: d.to(c).host, argv: dr.cephStatus(d.to(c).target) }],
      execute: () => Promise.resolve(),
      verify: async (ctx) => {
        const f = drFacts(ctx.facts);
        const flags = await primaryFlags(ctx, d.from(ctx), d.to(ctx), f.images ?? []);
        const wrong = flags.filter((x) => x.a !== true || x.b !== false);
        const lines = [
          wrong.length
            ? `not primary at ${d.from(ctx).cluster} / non-primary at ${d.to(ctx).cluster}: ${wrong.map((x) => `${specOf(x.image)} (${String(x.a)}/${String(x.b)})`).join(', ')}`
            : `${flags.length} images primary at ${d.from(ctx).cluster}, non-primary at ${d.to(ctx).cluster}`,
          f.unprotected?.length
            ? `unprotected (would not survive the failover): ${f.unprotected.join('; ')}`
            : 'every part of the workload is mirrored',
        ];
        return { ok: wrong.length === 0 && !f.unprotected?.length, evidence: lines.join('\n') };
      },
    },
  ];
}

export const plannedFailoverWizard = defineWizard<PlannedFailoverParams>({
  id: 'dr-planned-failover',
  title: 'DR: planned failover to the DR site (RPO 0)',
  description:
    'Both sites up: waits until caught up, stops the servers, demotes, waits until the DR site sees the demotion, promotes (EBUSY retried), fails Cinder over, starts the servers, waits for reverse replication and verifies rbd info on both sides. Reports RTO and RPO.',
  params: plannedFailoverParamsSchema as unknown as z.ZodType<PlannedFailoverParams>,
  phases: ['Prepare', 'Switch-over', 'Bring-up', 'Verify'],
  downtime: { from: 'Switch-over', to: 'Bring-up' },
  steps: [...preflightSteps(dir), ...switchSteps(dir)],
});
