/**
 * Parameters of the Ceph-to-Ceph migration, and the typed view of the facts its steps record.
 */
import { z } from 'zod';
import { cephTargetFromRole, type CephTarget } from '../../../commands/ceph';
import type { OpenstackRole } from '../../../commands/openstack';
import { nameSchema, type Inventory } from '../../../inventory/schema';
import type { Facts, PlanContext } from '../../types';
import { argvSchema as argv, mirrorDaemonSchema, systemdMirrorDaemon } from '../mirror-daemon';

export const migrationParamsSchema = z.object({
  source: z.object({ cluster: nameSchema, host: nameSchema.optional() }),
  destination: z.object({ cluster: nameSchema, host: nameSchema.optional() }),
  /** The cloud's pools, with the mirroring mode used to move each (journal: pool mode + journaling feature). */
  pools: z
    .array(
      z.object({ name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$/), mode: z.enum(['journal', 'snapshot']) }),
    )
    .min(1)
    .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, 'pool names must be unique'),
  /** How API changes are frozen while mirroring runs: by the operator (a manual step) or not at all. */
  freeze: z
    .object({ method: z.enum(['manual', 'none']), note: z.string().max(2000).optional() })
    .default({ method: 'manual' }),
  /** The OpenStack controller host (absent: a Ceph-only migration without server/volume handling). */
  openstack: z.object({ controller: nameSchema, servers: z.array(z.string().uuid()).optional() }).optional(),
  /** How to run the destination's rbd-mirror daemon (argv on the destination host). */
  mirrorDaemon: mirrorDaemonSchema,
  /** Where Nova, Glance and Cinder name their Ceph config on the controller; verified after the re-point. */
  repoint: z
    .object({
      checks: z
        .array(
          z.object({
            service: z.string().min(1).max(40),
            file: z.string().min(1),
            key: z.string().regex(/^[a-z_]+$/),
            sudo: z.boolean().default(false),
          }),
        )
        .default([]),
      instructions: z.string().max(10_000).optional(),
      /** The deployment's re-point command on the controller, typed into "open a terminal here" (never run by the engine). */
      command: argv.optional(),
    })
    .default({ checks: [] }),
  /**
   * Glance's image locations after the re-point (rbd://<source fsid>/POOL/ID/snap → the destination fsid), rewritten
   * in Glance's database: `sql` is the argv prefix that runs one SQL text on the controller, the text appended after
   * `statementFlag` (lab: `sudo -n mariadb --defaults-file=… glance` + `-e`; kolla: `docker exec mariadb mysql -u… glance`).
   * Without `sql` the step is manual (the SQL shown, a terminal on the controller), verified the same way.
   */
  glanceLocations: z
    .object({
      sql: argv.optional(),
      statementFlag: z
        .string()
        .regex(/^-[A-Za-z-]+$/)
        .default('-e'),
    })
    .default({ statementFlag: '-e' }),
  /** Fence the source images after the link is cut (they become plain writable images): rename to NAME.migrated. */
  fence: z.enum(['rename', 'none']).default('rename'),
  checksums: z.boolean().default(true),
  replayTimeoutSec: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 3600)
    .default(1800),
});

export type MigrationParams = z.infer<typeof migrationParamsSchema>;
export type Ctx = PlanContext<MigrationParams>;

export { systemdMirrorDaemon };

export interface ClusterEnd {
  cluster: string;
  host: string;
  target: CephTarget;
}

export function clusterEnd(inv: Inventory, cluster: string, host?: string): ClusterEnd {
  const hosts = inv.hosts.filter((h) => (host ? h.id === host : true));
  for (const h of hosts) {
    const role = h.roles.find((r) => r.kind === 'ceph-mon' && r.cluster === cluster);
    if (role && role.kind === 'ceph-mon') return { cluster, host: h.id, target: cephTargetFromRole(role) };
  }
  throw new Error(`no inventory host${host ? ` ${host}` : ''} with a ceph-mon role for cluster ${cluster}`);
}

export const src = (c: Ctx): ClusterEnd => clusterEnd(c.inventory, c.params.source.cluster, c.params.source.host);
export const dst = (c: Ctx): ClusterEnd =>
  clusterEnd(c.inventory, c.params.destination.cluster, c.params.destination.host);

export function controller(c: Ctx): { host: string; role: OpenstackRole } | undefined {
  const o = c.params.openstack;
  if (!o) return undefined;
  const h = c.inventory.hosts.find((x) => x.id === o.controller);
  const role = h?.roles.find((r) => r.kind === 'openstack-controller');
  if (!h || !role || role.kind !== 'openstack-controller')
    throw new Error(`inventory host ${o.controller} has no openstack-controller role`);
  return { host: h.id, role };
}

export interface ImageFact {
  pool: string;
  name: string;
  size: number | null;
  features: string[];
  parent: { pool: string; image: string; snapshot: string } | null;
  /** 0 = no parent; children have a larger depth than their parents. */
  depth: number;
}

export interface Attachment {
  serverId: string;
  volumeId: string;
}

export interface MigrationFacts {
  srcFsid?: string;
  dstFsid?: string;
  srcMonIps?: string[];
  dstMonIps?: string[];
  images?: ImageFact[];
  /** Pools missing on the destination, with the source's pg count. */
  poolsToCreate?: { name: string; pgNum: number }[];
  servers?: { id: string; name: string | null; status: string | null }[];
  attachments?: Attachment[];
  glanceImages?: { id: string; name: string | null; status: string | null }[];
  /** Glance images whose location rows the rewrite changed (scope of its rollback), gathered before it runs. */
  glanceLocationImages?: string[];
  srcChecksums?: Record<string, string>;
  dstChecksums?: Record<string, string>;
}

export function facts(f: Facts): MigrationFacts {
  return f as MigrationFacts;
}

export const spec = (i: { pool: string; name: string }): string => `${i.pool}/${i.name}`;
export const modeOf = (p: MigrationParams, pool: string): 'journal' | 'snapshot' =>
  p.pools.find((x) => x.name === pool)?.mode ?? 'journal';
/** Parents before children (enable), or children before parents (disable). */
export function byDepth(images: ImageFact[], order: 'parents-first' | 'children-first'): ImageFact[] {
  const s = [...images].sort((a, b) => a.depth - b.depth);
  return order === 'parents-first' ? s : s.reverse();
}
/** Pools ordered so that a pool holding parents (Glance) comes before pools holding their clones. */
export function poolsParentsFirst(p: MigrationParams, images: ImageFact[] | undefined): string[] {
  const minDepth = new Map<string, number>();
  for (const i of images ?? []) minDepth.set(i.pool, Math.min(minDepth.get(i.pool) ?? 99, i.depth));
  return p.pools.map((x) => x.name).sort((a, b) => (minDepth.get(a) ?? 0) - (minDepth.get(b) ?? 0));
}
