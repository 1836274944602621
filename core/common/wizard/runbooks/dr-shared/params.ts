/**
 * Parameters shared by the DR wizards (planned failover, unplanned failover, failback, DR test) and the typed view
 * of the facts their steps record. Scope is by pool (every mirrored image of those pools) or by workload (servers
 * with their volumes, Nova disks and Glance images, plus any extra images named explicitly).
 */
import { z } from 'zod';
import type { OpenstackRole } from '../../../commands/openstack';
import { nameSchema, type Inventory } from '../../../inventory/schema';
import type { Facts, PlanContext } from '../../types';
import { clusterEnd, type ClusterEnd } from '../ceph-migration/params';

export { clusterEnd, type ClusterEnd };

const poolName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$/, 'pool name');
const imageName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._:+=-]{0,254}$/, 'image name');

export const endSchema = z.object({ cluster: nameSchema, host: nameSchema.optional() });
export type EndParam = z.infer<typeof endSchema>;

export const scopeSchema = z
  .object({
    pools: z.array(poolName).default([]),
    servers: z.array(z.string().uuid()).default([]),
    images: z.array(z.object({ pool: poolName, name: imageName })).default([]),
  })
  .refine((s) => s.pools.length + s.servers.length + s.images.length > 0, 'scope needs pools, servers or images');
export type Scope = z.infer<typeof scopeSchema>;

export const openstackSchema = z.object({
  controller: nameSchema,
  /** The Cinder RBD backend with a replication_device: failover-host moves it (and owns its replicated volumes). */
  cinder: z
    .object({
      host: z.string().regex(/^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/, 'HOST@BACKEND'),
      /** backend_id of the replication_device on the DR site (failback uses "default"). */
      backendId: nameSchema,
      pool: poolName.default('volumes'),
    })
    .optional(),
  /** Where Nova disks and Glance images live (to map servers to RBD images). */
  pools: z
    .object({ vms: poolName.default('vms'), images: poolName.default('images') })
    .default({ vms: 'vms', images: 'images' }),
  /** AZ of the DR site, when servers must be re-homed there (a manual, verified step). */
  availabilityZone: z.string().min(1).max(255).optional(),
});
export type OpenstackParam = z.infer<typeof openstackSchema>;

export const timeoutsSchema = z
  .object({
    catchUpSec: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600)
      .default(1800),
    propagationSec: z
      .number()
      .int()
      .positive()
      .max(24 * 3600)
      .default(600),
    /** Until the old primary replays from the new one (published state lags ~30 s, ceph-facts.md 5). */
    reverseSec: z
      .number()
      .int()
      .positive()
      .max(24 * 3600)
      .default(600),
  })
  .default({ catchUpSec: 1800, propagationSec: 600, reverseSec: 600 });

export interface DrImage {
  pool: string;
  name: string;
  mode: 'journal' | 'snapshot';
  globalId: string | null;
  /** cinder: a replicated Cinder volume, switched by the driver (failover-host); wizard: demoted/promoted here. */
  owner: 'wizard' | 'cinder';
  /** What it is in OpenStack (volume / server disk / Glance image id), when known. */
  openstack?: string;
}

export interface DrFacts {
  images?: DrImage[];
  /** Pools switched with one pool-level command (pool scope, no Cinder-owned image in them). */
  poolLevel?: string[];
  servers?: { id: string; name: string | null; status: string | null }[];
  serversToStart?: string[];
  unprotected?: string[];
  switchStartedAt?: number;
  sumsFrom?: Record<string, string>;
  sumsTo?: Record<string, string>;
  imageIds?: Record<string, string | null>;
}

export const drFacts = (f: Facts): DrFacts => f as DrFacts;
export const specOf = (i: { pool: string; name: string }): string => `${i.pool}/${i.name}`;

export function controllerOf(
  inv: Inventory,
  o: OpenstackParam | undefined,
): { host: string; role: OpenstackRole } | undefined {
  if (!o) return undefined;
  const h = inv.hosts.find((x) => x.id === o.controller);
  const role = h?.roles.find((r) => r.kind === 'openstack-controller');
  if (!h || !role || role.kind !== 'openstack-controller')
    throw new Error(`inventory host ${o.controller} has no openstack-controller role`);
  return { host: h.id, role };
}

/** What every DR wizard's params have in common (the switch steps need exactly this). */
export interface SwitchParams {
  scope: Scope;
  openstack?: OpenstackParam | undefined;
  checksums: boolean;
  timeouts: z.infer<typeof timeoutsSchema>;
}

/** The direction of a switch: data flows from `from` (demoted) to `to` (promoted). */
export interface Direction<P> {
  from(c: PlanContext<P>): ClusterEnd;
  to(c: PlanContext<P>): ClusterEnd;
  /** backend_id for Cinder failover-host: the DR target, or "default" on failback. */
  backendId(c: PlanContext<P>): string | undefined;
}

export const wizardOwned = (f: Facts): DrImage[] => (drFacts(f).images ?? []).filter((i) => i.owner === 'wizard');
export const cinderOwned = (f: Facts): DrImage[] => (drFacts(f).images ?? []).filter((i) => i.owner === 'cinder');
