/**
 * The lab's seeded OpenStack (test/lab/openstack, migration profile) for the cloud half of the migration wizard:
 * what the seed made, where the cloud's services point, and putting a migrated lab back to its starting point so
 * the migration can run again without rebuilding the lab. Independent of the wizard: local root CLIs and files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, ceph, rbd, rbdTry, sha256Of, type LabJson } from './migration-lab';

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
  // The wizard moved Glance's locations to site-b's fsid: back to site-a's (a no-op for a migration without it).
  const a = lab.clusters.find((c) => c.name === 'site-a')?.fsid ?? '';
  const b = lab.clusters.find((c) => c.name === 'site-b')?.fsid ?? '';
  if (!/^[0-9a-f-]{36}$/.test(a) || !/^[0-9a-f-]{36}$/.test(b)) throw new Error('lab.json fsids are not UUIDs');
  labSql(
    lab,
    'glance',
    `UPDATE image_locations SET value = REPLACE(value, 'rbd://${b}/', 'rbd://${a}/') WHERE deleted = 0 AND value LIKE 'rbd://${b}/%'`,
  );
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

/** The lab's way to re-point the cloud (what the operator runs on the controller): `openstack.sh repoint SITE`. */
export function repointArgv(lab: LabJson, site: 'site-a' | 'site-b'): string[] {
  return [
    'sudo',
    '-n',
    'env',
    `SWITCHYARD_LAB_DIR=${lab.labDir}`,
    `SWITCHYARD_LAB_NET=${lab.net}`,
    'SWITCHYARD_LAB_PROFILE=migration',
    'bash',
    join(REPO, 'test/lab/openstack/openstack.sh'),
    'repoint',
    site,
  ];
}

/** The lab's way to run SQL on Glance's DB on the controller (the wizard's `glanceLocations.sql`): root over the socket. */
export function glanceSqlArgv(lab: LabJson): string[] {
  return ['sudo', '-n', 'mariadb', `--defaults-file=${join(lab.labDir, 'openstack', 'mariadb', 'my.cnf')}`, 'glance'];
}

/** SQL on a database of the lab's MariaDB, locally as root (independent of the wizard): batch output, no header. */
export function labSql(lab: LabJson, db: string, sql: string): string {
  return execFileSync(
    'mariadb',
    [`--defaults-file=${join(lab.labDir, 'openstack', 'mariadb', 'my.cnf')}`, '-uroot', '-N', '-B', db, '-e', sql],
    { encoding: 'utf8', timeout: 60_000 },
  );
}

/** Glance's live location rows (image_id, value), read from its DB. */
export function glanceLocationRows(lab: LabJson): { imageId: string; value: string }[] {
  return labSql(lab, 'glance', 'SELECT image_id, value FROM image_locations WHERE deleted = 0 ORDER BY id')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [imageId = '', value = ''] = l.split('\t');
      return { imageId, value };
    });
}

/**
 * Every problem with the seeded images' Glance locations after a migration to site-b, independently of the wizard:
 * the DB rows and the API's direct_url (what Cinder reads) must name site-b's fsid, never site-a's.
 */
export async function glanceLocationProblems(
  lab: LabJson,
  seed: CloudSeed,
  onController: OnController,
): Promise<string[]> {
  const bad: string[] = [];
  const fsidOf = (site: string): string => lab.clusters.find((c) => c.name === site)?.fsid ?? '?';
  const rows = glanceLocationRows(lab);
  for (const i of seed.images) {
    const mine = rows.filter((r) => r.imageId === i.id);
    if (mine.length === 0) bad.push(`image ${i.name}: no location row in Glance's DB`);
    for (const r of mine)
      if (!r.value.startsWith(`rbd://${fsidOf('site-b')}/images/${i.id}/`))
        bad.push(`image ${i.name}: Glance DB location ${r.value}, not on site-b`);
    const x = await onController(['openstack', 'image', 'show', i.id, '-f', 'json']);
    const du = x.exitCode === 0 ? directUrlOf(x.stdout) : undefined;
    if (!du?.startsWith(`rbd://${fsidOf('site-b')}/`))
      bad.push(`image ${i.name}: direct_url ${du ?? `(exit ${String(x.exitCode)})`}, not on site-b`);
  }
  if (rows.some((r) => r.value.startsWith(`rbd://${fsidOf('site-a')}/`)))
    bad.push("Glance's DB still has location rows on site-a's fsid");
  return bad;
}

/** direct_url from `openstack image show -f json` (top level or under properties, by client version). */
export function directUrlOf(stdout: string): string | undefined {
  const j = JSON.parse(stdout) as { direct_url?: string; properties?: { direct_url?: string } };
  return j.direct_url ?? j.properties?.direct_url;
}

/** Migration parameters for the seeded cloud: its three pools, the controller, the re-point checks and command. */
export function cloudParamsOf(lab: LabJson, base: Record<string, unknown>): Record<string, unknown> {
  const argv = repointArgv(lab, 'site-b');
  return {
    ...base,
    pools: [
      { name: 'images', mode: 'snapshot' },
      { name: 'volumes', mode: 'journal' },
      { name: 'vms', mode: 'journal' },
    ],
    openstack: { controller: 'controller' },
    repoint: {
      checks: cloudCephConfs(lab).map((c) => ({ service: c.service, file: c.file, key: c.key, sudo: true })),
      instructions:
        "In this lab: the lab's openstack.sh repoint site-b points the three services at site-b's ceph.conf and keyring and restarts them.",
      command: argv,
    },
    glanceLocations: { sql: glanceSqlArgv(lab) },
  };
}

/**
 * Cinder's own verdict on an image: a 1 GiB volume created from it (`openstack volume create --image`), then its RBD
 * image on `site` read with the local rbd CLI. `parent` is `images/<id>@snap` when Cinder's RBD driver cloned it
 * (its `_is_cloneable` compares the location's fsid with its cluster's), null for a full copy. The volume is deleted.
 */
export async function volumeFromImage(
  lab: LabJson,
  site: string,
  onController: OnController,
  imageId: string,
  name: string,
): Promise<{ parent: string | null; status: string; ms: number }> {
  const t0 = Date.now();
  const os = async (args: string[]): Promise<Record<string, unknown>> => {
    const x = await onController(['openstack', ...args, '-f', 'json']);
    if (x.exitCode !== 0)
      throw new Error(`openstack ${args.join(' ')}: exit ${String(x.exitCode)} ${x.stderr.slice(-500)}`);
    return JSON.parse(x.stdout) as Record<string, unknown>;
  };
  const v = await os(['volume', 'create', '--image', imageId, '--size', '1', name]);
  const id = String(v['id']);
  let status = String(v['status']);
  try {
    for (let i = 0; i < 200 && !['available', 'error'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 3000));
      status = String((await os(['volume', 'show', id]))['status']);
    }
    if (status !== 'available') return { parent: null, status, ms: Date.now() - t0 };
    const info = JSON.parse(rbd(lab, site, ['info', `volumes/volume-${id}`, '--format', 'json'])) as {
      parent?: { pool: string; image: string; snapshot: string };
    };
    const p = info.parent;
    return { parent: p ? `${p.pool}/${p.image}@${p.snapshot}` : null, status, ms: Date.now() - t0 };
  } finally {
    await onController(['openstack', 'volume', 'delete', id]);
  }
}

type OnController = (argv: string[]) => Promise<{ exitCode: number | null; stdout: string; stderr: string }>;

/**
 * What must hold after the cloud's migration, observed independently of the wizard (the plain `openstack` CLI on
 * the controller, the local rbd/ceph CLIs, the services' conf files): every problem found, [] when all is well.
 * `srcChecksums` are the wizard's own (taken at switch-over), compared with the seed's data here.
 */
export async function cloudMigratedProblems(
  lab: LabJson,
  seed: CloudSeed,
  onController: OnController,
  srcChecksums: Record<string, string>,
): Promise<string[]> {
  const bad: string[] = [];
  const siteB = lab.clusters.find((c) => c.name === 'site-b');
  const ipOf = (site: string): string => lab.hosts.find((h) => h.site === site)?.address ?? '';
  const os = async (args: string[]): Promise<Record<string, unknown> | undefined> => {
    const x = await onController(['openstack', ...args, '-f', 'json']);
    if (x.exitCode !== 0) {
      bad.push(`openstack ${args.join(' ')}: exit ${String(x.exitCode)} ${x.stderr.slice(-300)}`);
      return undefined;
    }
    return JSON.parse(x.stdout) as Record<string, unknown>;
  };
  for (const s of seed.servers) {
    const now = await os(['server', 'show', s.id]);
    if (now && now['status'] !== 'ACTIVE') bad.push(`server ${s.name}: ${String(now['status'])}, not ACTIVE`);
  }
  for (const v of seed.volumes) {
    const now = await os(['volume', 'show', v.id]);
    const on = ((now?.['attachments'] as { server_id: string }[] | undefined) ?? []).map((a) => a.server_id);
    if (now && (now['status'] !== 'in-use' || on.join() !== v.attachedTo))
      bad.push(`volume ${v.name}: ${String(now['status'])} on [${on.join(', ')}], not in-use on ${v.attachedTo}`);
  }
  for (const i of seed.images) {
    const now = await os(['image', 'show', i.id]);
    if (now && now['status'] !== 'active') bad.push(`image ${i.name}: ${String(now['status'])}, not active`);
    const dl = await onController([
      'bash',
      '-c',
      'set -o pipefail; openstack image save "$1" | sha512sum',
      'bash',
      i.id,
    ]);
    if (dl.exitCode !== 0 || dl.stdout.split(' ')[0] !== i.osHashValue)
      bad.push(`image ${i.name}: Glance does not serve the seeded data (exit ${String(dl.exitCode)})`);
    if (sha512Of(lab, 'site-b', `images/${i.id}`) !== i.osHashValue) bad.push(`images/${i.id} on site-b differs`);
    if (rbdTry(lab, 'site-a', ['info', `images/${i.id}`]).status === 0) bad.push(`images/${i.id} not fenced on site-a`);
  }
  for (const c of cloudCephConfs(lab)) {
    const cc = cephConfOf(iniValue(c.file, c.section, c.key) ?? '/nonexistent');
    if (cc.fsid !== siteB?.fsid || cc.monIps.join() !== ipOf('site-b'))
      bad.push(`${c.service}: ceph conf names fsid ${cc.fsid ?? '?'} mons ${cc.monIps.join(' ')}, not site-b's`);
  }
  const rbdSeeded = [
    ...seed.servers.map((x) => ({ spec: `${x.disk.pool}/${x.disk.image}`, sha256: x.disk.sha256 })),
    ...seed.volumes.map((x) => ({ spec: `${x.rbd.pool}/${x.rbd.image}`, sha256: x.rbd.sha256 })),
  ];
  for (const x of rbdSeeded) {
    if (sha256Of(lab, 'site-b', x.spec) !== x.sha256) bad.push(`${x.spec} on site-b differs from the seed's data`);
    if (srcChecksums[x.spec] !== x.sha256) bad.push(`${x.spec}: the wizard's source checksum is not the seed's`);
  }
  if (Object.keys(srcChecksums).length !== rbdSeeded.length + seed.images.length)
    bad.push(
      `the wizard checksummed ${Object.keys(srcChecksums).length} images, the seed has ${rbdSeeded.length + seed.images.length}`,
    );
  for (const p of CLOUD_POOLS) {
    for (const site of ['site-a', 'site-b']) {
      const info = JSON.parse(rbd(lab, site, ['mirror', 'pool', 'info', p, '--all', '--format', 'json'])) as {
        mode: string;
        peers?: unknown[];
      };
      if (info.mode !== 'disabled' || (info.peers ?? []).length > 0)
        bad.push(`${site}/${p}: mirroring ${info.mode}, ${(info.peers ?? []).length} peers`);
    }
    for (const n of JSON.parse(rbd(lab, 'site-b', ['ls', p, '--format', 'json'])) as string[]) {
      const b = JSON.parse(rbd(lab, 'site-b', ['info', `${p}/${n}`, '--format', 'json'])) as { features: string[] };
      if (b.features.includes('journaling')) bad.push(`site-b ${p}/${n}: journaling still on`);
    }
  }
  if (existsSync(join(lab.labDir, 'run', 'site-b-rbd-mirror.pid'))) bad.push('site-b rbd-mirror still running');
  bad.push(...(await glanceLocationProblems(lab, seed, onController)));
  return bad;
}
