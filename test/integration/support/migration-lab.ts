/**
 * The migration lab (test/lab/lab.sh with SWITCHYARD_LAB_PROFILE=migration): its description, an SSH runner with
 * verified host keys, local root CLI helpers for independent checks, and the reset/seed of the test's own pools.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host, Inventory } from '../../../core/common/inventory/schema';
import { AuditLog } from '../../../core/node/audit/audit-log';
import { KnownHostsStore } from '../../../core/node/ssh/known-hosts';
import { SshPool } from '../../../core/node/ssh/pool';
import { Vault } from '../../../core/node/vault/vault';

export interface LabJson {
  profile: string;
  net: string;
  labDir: string;
  knownHostsPath: string;
  hosts: {
    name: string;
    site: string | null;
    role: string;
    address: string;
    port: number;
    user: string;
    privateKeyPath: string;
    hostKeyFingerprintSHA256: string;
  }[];
  clusters: { name: string; fsid: string; confPath: string }[];
}

export const LAB_DIR = process.env['SWITCHYARD_LAB_DIR'] ?? '/var/tmp/switchyard-lab';
export const REPO = join(import.meta.dirname, '..', '..', '..');

export function readLab(): LabJson | undefined {
  const p = join(LAB_DIR, 'lab.json');
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as LabJson;
}

export const POOLS = [
  { name: 'mig-images', mode: 'snapshot' as const },
  { name: 'mig-volumes', mode: 'journal' as const },
  { name: 'mig-vms', mode: 'journal' as const },
];

export function inventoryOf(lab: LabJson): Inventory {
  const conf = (c: string): string => lab.clusters.find((x) => x.name === c)?.confPath ?? '';
  const hosts: Host[] = lab.hosts
    .filter((h) => h.role === 'ceph-mon' || h.role === 'openstack-controller')
    .map((h) => ({
      id: h.name,
      ...(h.site ? { site: h.site } : {}),
      address: h.address,
      port: h.port,
      user: h.user,
      auth: { method: 'key' as const, keyRef: 'lab-key' },
      roles:
        h.role === 'ceph-mon'
          ? [{ kind: 'ceph-mon' as const, cluster: h.site ?? '', conf: conf(h.site ?? ''), sudo: true }]
          : [{ kind: 'openstack-controller' as const }],
    }));
  return {
    version: 1,
    sites: [
      { name: 'site-a', role: 'primary' },
      { name: 'site-b', role: 'secondary' },
    ],
    clusters: [
      { name: 'site-a', site: 'site-a' },
      { name: 'site-b', site: 'site-b' },
    ],
    hosts,
    glance: { stores: [] },
  };
}

/** Inventory as YAML for the CLI (JSON is valid YAML). */
export const inventoryYaml = (inv: Inventory): string => JSON.stringify(inv, null, 2);

/** A site's rbd-mirror as the wizards' `mirrorDaemon`: the lab runs its daemons without systemd (pid files). */
export function labMirrorDaemon(
  lab: { labDir: string; net: string },
  site: string,
): { start: string[]; stop: string[]; isRunning: string[] } {
  const env = ['env', `SWITCHYARD_LAB_DIR=${lab.labDir}`, `SWITCHYARD_LAB_NET=${lab.net}`];
  const labSh = join(REPO, 'test', 'lab', 'lab.sh');
  return {
    start: ['sudo', '-n', ...env, 'bash', labSh, 'fault', 'start-mirror', site],
    stop: ['sudo', '-n', ...env, 'bash', labSh, 'fault', 'stop-mirror', site],
    isRunning: [
      'sudo',
      '-n',
      'bash',
      '-c',
      'kill -0 "$(cat "$1")"',
      'bash',
      join(lab.labDir, 'run', `${site}-rbd-mirror.pid`),
    ],
  };
}

export function paramsOf(lab: LabJson): Record<string, unknown> {
  return {
    source: { cluster: 'site-a' },
    destination: { cluster: 'site-b' },
    pools: POOLS,
    freeze: { method: 'none' },
    mirrorDaemon: labMirrorDaemon(lab, 'site-b'),
  };
}

export interface Runner {
  pool: SshPool;
  home: string;
  close(): Promise<void>;
}

/** SshPool over the lab's sshd hosts; a host key is accepted only if it is the one lab.json names. */
export async function makeRunner(lab: LabJson, inv: Inventory): Promise<Runner> {
  const home = mkdtempSync(join(tmpdir(), 'swy-mig-'));
  const vault = new Vault({ path: join(home, 'vault.json') });
  await vault.init({ passphrase: 'migration-test-passphrase' });
  const key = lab.hosts[0]?.privateKeyPath ?? '';
  await vault.add({ kind: 'ssh-key', label: 'lab-key', value: readFileSync(key, 'utf8') });
  const audit = new AuditLog({ path: join(home, 'audit.jsonl'), secretValues: () => vault.secretValues() });
  const knownHosts = new KnownHostsStore(join(home, 'known_hosts.json'));
  const byId = new Map(inv.hosts.map((h) => [h.id, h]));
  const pool = new SshPool({
    inventory: { getHost: (id) => byId.get(id) },
    knownHosts,
    hostKeyDecider: (q) =>
      Promise.resolve(lab.hosts.some((h) => h.address === q.host && h.hostKeyFingerprintSHA256 === q.fingerprint)),
    secrets: vault,
    audit,
  });
  return {
    pool,
    home,
    close: async () => {
      pool.close();
      await audit.close();
    },
  };
}

// ---- independent, local root CLI (not the wizard's SSH path) ----

export function rbd(lab: LabJson, site: string, args: string[], input?: Buffer): string {
  const conf = lab.clusters.find((c) => c.name === site)?.confPath ?? '';
  return execFileSync('timeout', ['120', 'rbd', '-c', conf, '--client-mount-timeout', '10', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    ...(input ? { input } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
export function rbdTry(
  lab: LabJson,
  site: string,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const conf = lab.clusters.find((c) => c.name === site)?.confPath ?? '';
  const r = spawnSync('timeout', ['120', 'rbd', '-c', conf, '--client-mount-timeout', '10', ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
export function ceph(lab: LabJson, site: string, args: string[]): string {
  const conf = lab.clusters.find((c) => c.name === site)?.confPath ?? '';
  return execFileSync('timeout', ['60', 'ceph', '-c', conf, '--connect-timeout', '10', ...args], { encoding: 'utf8' });
}
export function sha256Of(lab: LabJson, site: string, spec: string): string {
  const conf = lab.clusters.find((c) => c.name === site)?.confPath ?? '';
  const out = execFileSync(
    'bash',
    ['-c', 'set -o pipefail; rbd -c "$1" export --no-progress "$2" - | sha256sum', 'bash', conf, spec],
    { encoding: 'utf8' },
  );
  return out.split(' ')[0] ?? '';
}
export function labSh(lab: LabJson, args: string[]): void {
  execFileSync('bash', [join(REPO, 'test', 'lab', 'lab.sh'), ...args], {
    env: { ...process.env, SWITCHYARD_LAB_DIR: lab.labDir, SWITCHYARD_LAB_NET: lab.net },
    stdio: 'pipe',
  });
}

const F = ['--image-feature', 'layering,exclusive-lock,object-map,fast-diff'];

/**
 * Back to "before the migration": site-b's rbd-mirror stopped and the test pools gone on both sites; on site-a
 * the test pools are re-created with a Glance-like parent, a Nova-like clone in another pool and two volumes.
 */
export function resetAndSeed(lab: LabJson): void {
  labSh(lab, ['fault', 'stop-mirror', 'site-b']);
  for (const site of ['site-a', 'site-b']) {
    const have = ceph(lab, site, ['osd', 'pool', 'ls']).split('\n');
    for (const p of POOLS)
      if (have.includes(p.name))
        ceph(lab, site, ['osd', 'pool', 'rm', p.name, p.name, '--yes-i-really-really-mean-it']);
  }
  for (const p of POOLS) {
    ceph(lab, 'site-a', ['osd', 'pool', 'create', p.name, '8', '8', 'replicated']);
    rbd(lab, 'site-a', ['pool', 'init', p.name]);
  }
  rbd(lab, 'site-a', ['import', ...F, '--no-progress', '-', 'mig-images/glance-base'], randomBytes(8 << 20));
  rbd(lab, 'site-a', ['snap', 'create', 'mig-images/glance-base@snap']);
  rbd(lab, 'site-a', ['snap', 'protect', 'mig-images/glance-base@snap']);
  rbd(lab, 'site-a', ['clone', ...F, 'mig-images/glance-base@snap', 'mig-vms/server1_disk']);
  rbd(lab, 'site-a', [
    'bench',
    '--io-type',
    'write',
    '--io-size',
    '64K',
    '--io-total',
    '2M',
    '--io-pattern',
    'rand',
    'mig-vms/server1_disk',
  ]);
  rbd(lab, 'site-a', ['import', ...F, '--no-progress', '-', 'mig-volumes/volume-1'], randomBytes(1 << 20));
  rbd(lab, 'site-a', ['create', ...F, '--size', '16M', 'mig-volumes/volume-2']);
}

/** Writes while mirroring runs (the cloud is still up): the destination must catch up before the switch. */
export function writeDuringMirroring(lab: LabJson): void {
  rbd(lab, 'site-a', [
    'bench',
    '--io-type',
    'write',
    '--io-size',
    '4K',
    '--io-total',
    '512K',
    '--io-pattern',
    'rand',
    'mig-volumes/volume-2',
  ]);
}

export const IMAGES = [
  'mig-images/glance-base',
  'mig-vms/server1_disk',
  'mig-volumes/volume-1',
  'mig-volumes/volume-2',
];
