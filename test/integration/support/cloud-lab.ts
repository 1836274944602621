/**
 * The lab's seeded OpenStack (test/lab/openstack, migration profile) for the cloud half of the migration wizard:
 * what the seed made, where the cloud's services point, and putting a migrated lab back to its starting point so
 * the migration can run again without rebuilding the lab. Independent of the wizard: local root CLIs and files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, ceph, rbd, rbdTry, type LabJson } from './migration-lab';

export const CLOUD_POOLS = ['images', 'volumes', 'vms'];

export interface CloudSeed {
  images: { id: string; name: string; size: number; osHashAlgo?: string; osHashValue?: string }[];
  servers: { id: string; name: string; status: string; disk: { pool: string; image: string; sha256: string } }[];
  volumes: { id: string; name: string; attachedTo: string; rbd: { pool: string; image: string; sha256: string } }[];
}

export function readCloudSeed(lab: LabJson | undefined): CloudSeed | undefined {
  if (!lab) return undefined;
  const p = join(lab.labDir, 'openstack', 'seed.json');
  if (!existsSync(p)) return undefined;
  const s = JSON.parse(readFileSync(p, 'utf8')) as CloudSeed;
  return s.servers.length > 0 ? s : undefined;
}

/** `fresh`: on site-a under the seed's names; `migrated`: a finished migration to site-b; else `other`. */
export function cloudPhase(lab: LabJson, seed: CloudSeed): 'fresh' | 'migrated' | 'other' {
  const first = seed.images[0]?.id ?? 'none';
  if (rbdTry(lab, 'site-a', ['info', `images/${first}`]).status === 0) return 'fresh';
  const onB = rbdTry(lab, 'site-b', ['info', `images/${first}`]).status === 0;
  const fenced = rbdTry(lab, 'site-a', ['info', `images/${first}.migrated`]).status === 0;
  return onB && fenced ? 'migrated' : 'other';
}

export function openstackSh(lab: LabJson, args: string[]): string {
  return execFileSync('bash', [join(REPO, 'test', 'lab', 'openstack', 'openstack.sh'), ...args], {
    env: {
      ...process.env,
      SWITCHYARD_LAB_DIR: lab.labDir,
      SWITCHYARD_LAB_NET: lab.net,
      SWITCHYARD_LAB_PROFILE: 'migration',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 900_000,
  });
}

/**
 * A finished migration undone, so the test can run again on the same lab: the fenced source images renamed back
 * (clone links follow image ids, not names), the destination's copies deleted with their pools, the cloud
 * pointed at site-a again. Only from the `migrated` phase; anything else needs `lab.sh reset`.
 */
export function undoCloudMigration(lab: LabJson): void {
  for (const p of CLOUD_POOLS) {
    for (const name of JSON.parse(rbd(lab, 'site-a', ['ls', p, '--format', 'json'])) as string[]) {
      if (!name.endsWith('.migrated')) continue;
      const orig = name.slice(0, -'.migrated'.length);
      rbd(lab, 'site-a', ['rename', `${p}/${name}`, `${p}/${orig}`]);
      rbdTry(lab, 'site-a', ['image-meta', 'remove', `${p}/${orig}`, 'switchyard.migrated-to']);
      // Journaling was added for journal-mode mirroring: the seed's images did not have it.
      const info = JSON.parse(rbd(lab, 'site-a', ['info', `${p}/${orig}`, '--format', 'json'])) as {
        features: string[];
      };
      if (info.features.includes('journaling'))
        rbd(lab, 'site-a', ['feature', 'disable', `${p}/${orig}`, 'journaling']);
    }
  }
  const have = ceph(lab, 'site-b', ['osd', 'pool', 'ls']).split('\n');
  for (const p of CLOUD_POOLS)
    if (have.includes(p)) ceph(lab, 'site-b', ['osd', 'pool', 'rm', p, p, '--yes-i-really-really-mean-it']);
  openstackSh(lab, ['repoint', 'site-a']);
}

/** A tiny ini reader: the value of `key` in `[section]` (the service confs hold passwords: read, never print). */
export function iniValue(file: string, section: string, key: string): string | undefined {
  let cur = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) cur = sec[1] ?? '';
    else if (cur === section) {
      const m = /^([^=#;]+?)\s*=\s*(.*)$/.exec(line);
      if (m && m[1] === key) return m[2];
    }
  }
  return undefined;
}

/** fsid and monitor IPs of a Ceph client conf. */
export function cephConfOf(file: string): { fsid: string | undefined; monIps: string[] } {
  const fsid = iniValue(file, 'global', 'fsid');
  const mon = iniValue(file, 'global', 'mon_host') ?? iniValue(file, 'global', 'mon host') ?? '';
  // A monitor's v2 and v1 addresses name the same IP: once.
  return { fsid, monIps: [...new Set([...mon.matchAll(/(\d{1,3}(?:\.\d{1,3}){3})/g)].map((m) => m[1] ?? ''))] };
}

/** Where Glance (central store), Cinder (backend ceph) and Nova (libvirt images_rbd) name their Ceph conf. */
export function cloudCephConfs(lab: LabJson): { service: string; file: string; section: string; key: string }[] {
  const etc = join(lab.labDir, 'openstack', 'etc');
  return [
    { service: 'glance', file: join(etc, 'glance/glance-api.conf'), section: 'central', key: 'rbd_store_ceph_conf' },
    { service: 'cinder', file: join(etc, 'cinder/cinder.conf'), section: 'ceph', key: 'rbd_ceph_conf' },
    { service: 'nova', file: join(etc, 'nova/nova.conf'), section: 'libvirt', key: 'images_rbd_ceph_conf' },
  ];
}

/** sha512 of an RBD image's full data (Glance's os_hash_value for a raw image of the same size). */
export function sha512Of(lab: LabJson, site: string, spec: string): string {
  const conf = lab.clusters.find((c) => c.name === site)?.confPath ?? '';
  const out = execFileSync(
    'bash',
    ['-c', 'set -o pipefail; rbd -c "$1" export --no-progress "$2" - | sha512sum', 'bash', conf, spec],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return out.split(' ')[0] ?? '';
}
