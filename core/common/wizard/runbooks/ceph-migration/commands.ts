/**
 * The change commands of the migration, built on the shared `rbd`/`ceph` prefixes (connection options and the
 * timeouts that keep a dead cluster from hanging us, ceph-facts.md gotcha 9). Names pass the shared validators.
 */
import { cephBase, validateImageName, validatePoolName, type CephTarget } from '../../../commands/ceph';
import { checkUuid, type OpenstackRole } from '../../../commands/openstack';
import { rbdBase } from '../../../commands/rbd';

const p = validatePoolName;
const img = (pool: string, image: string): string => `${p(pool)}/${validateImageName(image)}`;
const json = ['--format', 'json'];

export const cmd = {
  cephStatus: (t: CephTarget) => [...cephBase(t), 'status', ...json],
  monDump: (t: CephTarget) => [...cephBase(t), 'mon', 'dump', ...json],
  poolLsDetail: (t: CephTarget) => [...cephBase(t), 'osd', 'pool', 'ls', 'detail', ...json],
  df: (t: CephTarget) => [...cephBase(t), 'df', ...json],
  poolCreate: (t: CephTarget, pool: string, pg: number) => [
    ...cephBase(t),
    'osd',
    'pool',
    'create',
    p(pool),
    String(pg),
    String(pg),
    'replicated',
  ],
  poolInit: (t: CephTarget, pool: string) => [...rbdBase(t), 'pool', 'init', p(pool)],
  serviceDump: (t: CephTarget) => [...cephBase(t), 'service', 'dump', ...json],

  ls: (t: CephTarget, pool: string) => [...rbdBase(t), 'ls', '-l', p(pool), ...json],
  /** Names only: no image is opened (`ls -l` opens every one), one call per pool however many images. */
  lsNames: (t: CephTarget, pool: string) => [...rbdBase(t), 'ls', p(pool), ...json],
  /**
   * `rbd info` of many images in ONE exec (the CLI takes one image; each exec costs an SSH channel, a sudo and a
   * shell on the mon host, which at 50 images is most of a verification's time). A fixed script runs the rbd
   * prefix given as positional parameters for each spec after it (nothing is spliced into the script) and
   * prints one line per image, in order: `exit<TAB>spec<TAB>output` (output's newlines folded). sudo, when the
   * role needs it, wraps the whole script once.
   */
  infoMany: (t: CephTarget, specs: { pool: string; image: string }[]) => {
    const base = rbdBase({ ...t, sudo: false });
    return [
      ...(t.sudo ? ['sudo', '-n'] : []),
      'bash',
      '-c',
      'n=$1; shift; base=("${@:1:n}"); shift "$n"; for s in "$@"; do out=$("${base[@]}" info "$s" --format json); rc=$?; printf \'%s\\t%s\\t%s\\n\' "$rc" "$s" "${out//$\'\\n\'/ }"; done',
      'bash',
      String(base.length),
      ...base,
      ...specs.map((x) => img(x.pool, x.image)),
    ];
  },
  info: (t: CephTarget, pool: string, image: string) => [...rbdBase(t), 'info', img(pool, image), ...json],
  /** `--all` also lists the hidden tx-only peers, but for rx peers it prints their cephx key: source side only. */
  mirrorPoolInfo: (t: CephTarget, pool: string, all: boolean) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'info',
    p(pool),
    ...(all ? ['--all'] : []),
    ...json,
  ],
  mirrorPoolStatus: (t: CephTarget, pool: string) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'status',
    p(pool),
    '--verbose',
    ...json,
  ],
  mirrorPoolEnable: (t: CephTarget, pool: string, mode: 'pool' | 'image', siteName: string) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'enable',
    p(pool),
    mode,
    '--site-name',
    siteName,
  ],
  mirrorPoolDisable: (t: CephTarget, pool: string) => [...rbdBase(t), 'mirror', 'pool', 'disable', p(pool)],
  /** Prints the token (a cephx secret, ceph-facts.md 16) on stdout: run with captureSecret only. */
  bootstrapCreate: (t: CephTarget, pool: string, siteName: string) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'peer',
    'bootstrap',
    'create',
    '--site-name',
    siteName,
    p(pool),
  ],
  /** Reads the token from stdin (/dev/stdin): it never touches argv or a file. */
  bootstrapImport: (t: CephTarget, pool: string, siteName: string) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'peer',
    'bootstrap',
    'import',
    '--site-name',
    siteName,
    '--direction',
    'rx-only',
    p(pool),
    '/dev/stdin',
  ],
  peerRemove: (t: CephTarget, pool: string, uuid: string) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'peer',
    'remove',
    p(pool),
    checkUuid(uuid),
  ],
  featureEnable: (t: CephTarget, pool: string, image: string, f: 'journaling') => [
    ...rbdBase(t),
    'feature',
    'enable',
    img(pool, image),
    f,
  ],
  featureDisable: (t: CephTarget, pool: string, image: string, f: 'journaling') => [
    ...rbdBase(t),
    'feature',
    'disable',
    img(pool, image),
    f,
  ],
  mirrorImageEnable: (t: CephTarget, pool: string, image: string) => [
    ...rbdBase(t),
    'mirror',
    'image',
    'enable',
    img(pool, image),
    'snapshot',
  ],
  mirrorImageDisable: (t: CephTarget, pool: string, image: string, force: boolean) => [
    ...rbdBase(t),
    'mirror',
    'image',
    'disable',
    ...(force ? ['--force'] : []),
    img(pool, image),
  ],
  poolDemote: (t: CephTarget, pool: string) => [...rbdBase(t), 'mirror', 'pool', 'demote', p(pool)],
  poolPromote: (t: CephTarget, pool: string) => [...rbdBase(t), 'mirror', 'pool', 'promote', p(pool)],
  rename: (t: CephTarget, pool: string, from: string, to: string) => [
    ...rbdBase(t),
    'rename',
    img(pool, from),
    img(pool, to),
  ],
  imageMetaSet: (t: CephTarget, pool: string, image: string, key: string, value: string) => [
    ...rbdBase(t),
    'image-meta',
    'set',
    img(pool, image),
    key,
    value,
  ],
  /**
   * sha256 of an image's full data. A fixed bash script runs the argv given as positional parameters (nothing is
   * spliced into the script); pipefail makes a failed export fail the command instead of hashing nothing.
   */
  checksum: (t: CephTarget, pool: string, image: string) => [
    'bash',
    '-c',
    'set -o pipefail; "$@" | sha256sum',
    'bash',
    ...rbdBase(t),
    'export',
    '--no-progress',
    img(pool, image),
    '-',
  ],
};

function os(role: OpenstackRole, args: string[]): string[] {
  const cloud = role.cloud ? ['--os-cloud', role.cloud] : [];
  const argv = ['openstack', ...cloud, ...args];
  // Same rule as commands/openstack.ts: an openrc is sourced by a fixed script, the path a positional parameter.
  return role.openrc && !role.cloud
    ? ['sh', '-c', '. "$1" || exit 97; shift; exec "$@"', 'sh', role.openrc, ...argv]
    : argv;
}

export const oscmd = {
  serverStop: (r: OpenstackRole, id: string) => os(r, ['server', 'stop', checkUuid(id)]),
  serverStart: (r: OpenstackRole, id: string) => os(r, ['server', 'start', checkUuid(id)]),
  volumeDetach: (r: OpenstackRole, server: string, vol: string) =>
    os(r, ['server', 'remove', 'volume', checkUuid(server), checkUuid(vol)]),
  volumeAttach: (r: OpenstackRole, server: string, vol: string) =>
    os(r, ['server', 'add', 'volume', checkUuid(server), checkUuid(vol)]),
  imageDeactivate: (r: OpenstackRole, id: string) => os(r, ['image', 'set', '--deactivate', checkUuid(id)]),
  imageActivate: (r: OpenstackRole, id: string) => os(r, ['image', 'set', '--activate', checkUuid(id)]),
};

/** `grep` for one `key = value` line of an ini file (never `cat`: service configs hold passwords). */
export function grepKey(file: string, keys: string[], sudo: boolean): string[] {
  for (const k of keys) if (!/^[a-z_ ]+$/.test(k)) throw new Error(`bad config key ${k}`);
  const alt = keys.map((k) => k.replaceAll(' ', '[ _]')).join('|');
  return [...(sudo ? ['sudo', '-n'] : []), 'grep', '-E', `^[[:space:]]*(${alt})[[:space:]]*=`, '--', file];
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Only a UUID (a Ceph fsid, a Glance image id) goes into the SQL text; anything else is refused. */
function sqlUuid(what: string, v: string): string {
  if (!UUID_RE.test(v)) throw new Error(`${what} is not a UUID: ${JSON.stringify(v.slice(0, 60))}`);
  return v;
}
/** `rbd://FSID/POOL/`: pool names pass the Ceph validator and hold no quote, backslash or LIKE wildcard here. */
function locationPrefix(fsid: string, pool: string): string {
  const p = validatePoolName(pool);
  if (!/^[A-Za-z0-9._-]+$/.test(p)) throw new Error(`pool name not usable in SQL: ${JSON.stringify(p)}`);
  return `rbd://${sqlUuid('fsid', fsid)}/${p}/`;
}
/**
 * Live location rows of the moved pools on the cluster `fsid`. A prefix comparison (LEFT), not LIKE: `_` in a pool
 * name would be a wildcard. Rows of any other store (another cluster's fsid, another pool, a file store) never match.
 */
function locationRows(fsid: string, pools: string[]): string {
  if (pools.length === 0) throw new Error('no pools');
  const alt = pools.map((x) => {
    const pre = locationPrefix(fsid, x);
    return `LEFT(value, ${pre.length}) = '${pre}'`;
  });
  return `deleted = FALSE AND (${alt.join(' OR ')})`;
}

/**
 * SQL on Glance's database (table `image_locations`, Zed schema: id, image_id, value, meta_data, status, deleted…)
 * that moves the locations of the migrated pools from the source fsid to the destination's. Glance's own API cannot
 * do it: removing a location deletes the data behind it (StoreLocations.pop → delete_from_backend; the rbd driver
 * ignores the fsid and would delete the destination's image), and replacing a non-empty list with a different one
 * is refused. Standard SQL (LEFT, REPLACE, START TRANSACTION) that MySQL/MariaDB and PostgreSQL both run.
 */
export const glanceSql = {
  /** One `image_id` per row still naming the source: the rows the rewrite changes (0 once it ran). */
  select: (srcFsid: string, pools: string[]): string =>
    `SELECT image_id FROM image_locations WHERE ${locationRows(srcFsid, pools)} ORDER BY image_id;`,
  rewrite: (srcFsid: string, dstFsid: string, pools: string[]): string => {
    if (srcFsid.toLowerCase() === dstFsid.toLowerCase()) throw new Error('source and destination fsid are the same');
    return `START TRANSACTION; UPDATE image_locations SET value = REPLACE(value, 'rbd://${sqlUuid('fsid', srcFsid)}/', 'rbd://${sqlUuid('fsid', dstFsid)}/') WHERE ${locationRows(srcFsid, pools)}; COMMIT;`;
  },
  /** The rollback: the same rows back to the source fsid, limited to the images the rewrite changed. */
  reverse: (srcFsid: string, dstFsid: string, pools: string[], imageIds: string[]): string | undefined => {
    if (imageIds.length === 0) return undefined;
    const ids = imageIds.map((i) => `'${sqlUuid('image id', i)}'`).join(', ');
    return `START TRANSACTION; UPDATE image_locations SET value = REPLACE(value, 'rbd://${sqlUuid('fsid', dstFsid)}/', 'rbd://${sqlUuid('fsid', srcFsid)}/') WHERE ${locationRows(dstFsid, pools)} AND image_id IN (${ids}); COMMIT;`;
  },
  /** The deployment's SQL prefix + its statement flag + the text: one argv element, quoted like every other. */
  argv: (prefix: string[], flag: string, sql: string): string[] => [...prefix, flag, sql],
};

/** image_id per row from a `glanceSql.select` answer (mysql batch: a header line, then one id per line; psql too). */
export function parseLocationRows(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => UUID_RE.test(l));
}
