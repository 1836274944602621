import { z } from 'zod';

/** Names that reach argv (cluster, pool, host ids) stay in a conservative alphabet. */
export const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, . _ - (max 63), starting with a letter or digit');

export const siteRoleSchema = z.enum(['primary', 'secondary', 'dr', 'edge', 'central']);

export const siteSchema = z.object({
  name: nameSchema,
  role: siteRoleSchema,
  description: z.string().optional(),
});

export const clusterSchema = z.object({
  /** Ceph cluster name as operators call it (also the librados cluster name where it matters). */
  name: nameSchema,
  site: nameSchema,
  /** Known fsid, checked against what the cluster reports. */
  fsid: z.string().uuid().optional(),
});

export const cephMonRoleSchema = z.object({
  kind: z.literal('ceph-mon'),
  cluster: nameSchema,
  /** Path of ceph.conf on that host; default: the host's own default (CEPH_CONF or /etc/ceph/ceph.conf). */
  conf: z.string().optional(),
  /** cephx client id (without `client.`); default admin. */
  clientId: z.string().optional(),
  keyring: z.string().optional(),
  /** Prefix the CLIs with sudo on that host. */
  sudo: z.boolean().default(false),
});

export const openstackControllerRoleSchema = z.object({
  kind: z.literal('openstack-controller'),
  /** Cloud name in clouds.yaml on that host (OS_CLOUD). */
  cloud: z.string().optional(),
  /** Path of an openrc file on that host, sourced before the CLI when no cloud name is given. */
  openrc: z.string().optional(),
  /** Vault reference of the cloud password, passed on stdin, never in argv. */
  passwordRef: z.string().optional(),
});

export const hostRoleSchema = z.discriminatedUnion('kind', [cephMonRoleSchema, openstackControllerRoleSchema]);

export const authSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('key'), keyRef: z.string() }),
  z.object({ method: z.literal('password'), passwordRef: z.string() }),
  z.object({ method: z.literal('keyboard-interactive'), passwordRef: z.string() }),
  z.object({ method: z.literal('agent'), socket: z.string().optional() }),
]);

export const hostSchema = z.object({
  id: nameSchema,
  site: nameSchema.optional(),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1),
  /** id of another host used as jump host (ssh -J). */
  jump: nameSchema.optional(),
  auth: authSchema,
  roles: z.array(hostRoleSchema).default([]),
});

export const glanceStoreSchema = z.object({
  id: nameSchema,
  site: nameSchema,
  /** Ceph cluster backing the store (absent for file stores). */
  cluster: nameSchema.optional(),
  pool: nameSchema.optional(),
});

export const inventorySchema = z.object({
  version: z.literal(1),
  name: z.string().optional(),
  sites: z.array(siteSchema).default([]),
  clusters: z.array(clusterSchema).default([]),
  hosts: z.array(hostSchema).default([]),
  glance: z.object({ stores: z.array(glanceStoreSchema).default([]) }).default({ stores: [] }),
});

export type Site = z.infer<typeof siteSchema>;
export type Cluster = z.infer<typeof clusterSchema>;
export type HostRole = z.infer<typeof hostRoleSchema>;
export type HostAuth = z.infer<typeof authSchema>;
export type Host = z.infer<typeof hostSchema>;
export type GlanceStore = z.infer<typeof glanceStoreSchema>;
export type Inventory = z.infer<typeof inventorySchema>;
