/**
 * The real lab (test/lab/lab.sh) seen as Switchyard sees a site: an inventory built from $LAB/lab.json, an SshPool
 * that verifies host keys against the lab's known_hosts (an unknown key is refused), the operator key served from
 * memory. Used by test/integration/topology.test.ts and bench/topology.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inventorySchema, type Host, type Inventory } from '../../../core/common/inventory/schema';
import { KnownHostsStore } from '../../../core/node/ssh/known-hosts';
import { SshPool } from '../../../core/node/ssh/pool';

const run = promisify(execFile);

interface LabJson {
  labDir: string;
  net: string;
  knownHostsPath: string;
  hosts: {
    name: string;
    site: string | null;
    role: string;
    address: string;
    port: number;
    user: string;
    privateKeyPath: string;
  }[];
  clusters: {
    name: string;
    fsid: string;
    confPath: string;
    keyringPath: string;
    pools: { name: string; mirrorMode: string }[];
  }[];
  openstackPath?: string;
}
interface OpenstackJson {
  client?: { openrc?: string; cloudsYaml?: string };
  cloudName?: string;
}

export interface TopologyLab {
  dir: string;
  lab: LabJson;
  inventory: Inventory;
  pool: SshPool;
  hasOpenstack: boolean;
  /** `lab.sh ARGS` against this lab. */
  labSh(...args: string[]): Promise<string>;
  /** A command on a site's mon host through the pool (for setting up conditions). */
  onSite(site: string, argv: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
  close(): void;
}

export function labDir(): string | null {
  const d = process.env['SWITCHYARD_LAB_DIR'];
  return d && existsSync(join(d, 'lab.json')) ? d : null;
}

export async function openTopologyLab(dir: string): Promise<TopologyLab> {
  const lab = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabJson;
  const osPath = lab.openstackPath ?? join(dir, 'openstack.json');
  const os = existsSync(osPath) ? (JSON.parse(readFileSync(osPath, 'utf8')) as OpenstackJson) : null;
  const hostId = (n: string): string => n;
  const hosts: Host[] = lab.hosts
    .filter((h) => h.role === 'ceph-mon' || (h.role === 'openstack-controller' && os?.client?.openrc))
    .map((h) => {
      const c = lab.clusters.find((x) => x.name === h.site);
      const roles =
        h.role === 'ceph-mon' && c
          ? [{ kind: 'ceph-mon' as const, cluster: c.name, conf: c.confPath, keyring: c.keyringPath, sudo: false }]
          : [{ kind: 'openstack-controller' as const, openrc: os?.client?.openrc ?? '' }];
      return {
        id: hostId(h.name),
        site: h.site ?? undefined,
        address: h.address,
        port: h.port,
        user: h.user,
        auth: { method: 'key' as const, keyRef: 'lab-key' },
        roles,
      };
    });
  const inventory = inventorySchema.parse({
    version: 1,
    name: 'lab',
    sites: lab.clusters.map((c, i) => ({ name: c.name, role: i === 0 ? 'primary' : 'secondary' })),
    clusters: lab.clusters.map((c) => ({ name: c.name, site: c.name, fsid: c.fsid })),
    hosts,
    glance: {
      stores: [
        { id: 'central', site: lab.clusters[0]?.name ?? 'site-a', cluster: lab.clusters[0]?.name, pool: 'images' },
        { id: 'dcn0', site: lab.clusters[1]?.name ?? 'site-b', cluster: lab.clusters[1]?.name, pool: 'images' },
      ],
    },
  });
  const key = readFileSync(lab.hosts[0]?.privateKeyPath ?? '', 'utf8');
  const khDir = mkdtempSync(join(tmpdir(), 'swy-h5-kh-'));
  const knownHosts = new KnownHostsStore(join(khDir, 'known-hosts.json'), {
    candidates: async () => lab.hosts.map((h) => ({ host: h.address, port: h.port })),
  });
  await knownHosts.importKnownHosts(lab.knownHostsPath);
  const table = new Map(inventory.hosts.map((h) => [h.id, h]));
  const pool = new SshPool({
    inventory: { getHost: (id) => table.get(id) },
    knownHosts,
    hostKeyDecider: async () => false,
    secrets: { getSecret: () => ({ value: key }) },
    defaultTimeoutMs: 120_000,
  });
  const env = { ...process.env, SWITCHYARD_LAB_DIR: dir, SWITCHYARD_LAB_NET: lab.net };
  return {
    dir,
    lab,
    inventory,
    pool,
    hasOpenstack: os?.client?.openrc !== undefined,
    labSh: async (...args) => {
      const r = await run(
        'bash',
        [join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lab', 'lab.sh'), ...args],
        { env, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
      );
      return `${r.stdout}${r.stderr}`;
    },
    onSite: async (site, argv) => {
      const r = await pool.run(`${site}-mon`, argv, { timeoutMs: 120_000 });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
    close: () => pool.close(),
  };
}
