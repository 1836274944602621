/**
 * argv builders of the DR wizards, on the shared `rbd`/`ceph` prefixes (every Ceph call carries the mount/mon-op
 * timeouts: a dead site must never hang us, ceph-facts.md 9). Names pass the shared validators.
 */
import { cephBase, connectionArgs, validateImageName, validatePoolName, type CephTarget } from '../../../commands/ceph';
import { checkUuid, type OpenstackRole } from '../../../commands/openstack';
import { rbdBase } from '../../../commands/rbd';
import { SNAPSHOT_TOOL } from './snapshot-tool';

const p = validatePoolName;
const img = (pool: string, image: string): string => `${p(pool)}/${validateImageName(image)}`;
const json = ['--format', 'json'];

export const dr = {
  cephStatus: (t: CephTarget) => [...cephBase(t), 'status', ...json],
  info: (t: CephTarget, pool: string, image: string) => [...rbdBase(t), 'info', img(pool, image), ...json],
  ls: (t: CephTarget, pool: string) => [...rbdBase(t), 'ls', p(pool), ...json],
  /**
   * Under TZ=UTC: rbd prints snapshot timestamps with ctime(3) in the host's zone (sudo keeps TZ: it is in its
   * default env_check list), and the data-loss window reads them as UTC (`parseCtimeUtc`).
   */
  snapLsAll: (t: CephTarget, pool: string, image: string) => [
    'env',
    'TZ=UTC',
    ...rbdBase(t),
    'snap',
    'ls',
    '--all',
    img(pool, image),
    ...json,
  ],
  mirrorPoolInfo: (t: CephTarget, pool: string) => [...rbdBase(t), 'mirror', 'pool', 'info', p(pool), '--all', ...json],
  mirrorPoolStatus: (t: CephTarget, pool: string) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'status',
    p(pool),
    '--verbose',
    ...json,
  ],
  poolDemote: (t: CephTarget, pool: string) => [...rbdBase(t), 'mirror', 'pool', 'demote', p(pool)],
  poolPromote: (t: CephTarget, pool: string, force = false) => [
    ...rbdBase(t),
    'mirror',
    'pool',
    'promote',
    ...(force ? ['--force'] : []),
    p(pool),
  ],
  imageDemote: (t: CephTarget, pool: string, image: string) => [
    ...rbdBase(t),
    'mirror',
    'image',
    'demote',
    img(pool, image),
  ],
  imagePromote: (t: CephTarget, pool: string, image: string, force = false) => [
    ...rbdBase(t),
    'mirror',
    'image',
    'promote',
    ...(force ? ['--force'] : []),
    img(pool, image),
  ],
  /** Flags the local (non-primary) copy for a full re-sync from the primary: it is deleted and copied again. */
  imageResync: (t: CephTarget, pool: string, image: string) => [
    ...rbdBase(t),
    'mirror',
    'image',
    'resync',
    img(pool, image),
  ],
  /** A fresh mirror snapshot on the primary: resync copies only up to the latest one (operator-pitfalls 4). */
  mirrorSnapshot: (t: CephTarget, pool: string, image: string) => [
    ...rbdBase(t),
    'mirror',
    'image',
    'snapshot',
    img(pool, image),
  ],
  rm: (t: CephTarget, pool: string, image: string) => [...rbdBase(t), 'rm', '--no-progress', img(pool, image)],
  /** sha256 of an image's head (fixed script; the argv are positional parameters, never spliced in). */
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
  /**
   * The snapshot tool (librbd via python3-rbd): Pacific cannot open mirror snapshots by name from the CLI, only by
   * id, so hashing a mirror snapshot or copying it into an isolated image needs the library.
   * `sha POOL IMAGE SNAPID|-` prints `{"sha256", "size"}`; `copy POOL IMAGE SNAPID|- DESTPOOL DEST` writes a plain
   * (layering-only, never mirrored) copy and prints the copy's sha256 read back.
   */
  snapTool: (t: CephTarget, args: string[]) => [
    ...(t.sudo ? ['sudo', '-n'] : []),
    'python3',
    '-c',
    SNAPSHOT_TOOL,
    t.conf ?? '',
    t.clientId ?? '',
    t.keyring ?? '',
    String(Math.max(1, Math.round(t.timeoutSec ?? 10))),
    ...args,
  ],
  snapSha: (t: CephTarget, pool: string, image: string, snapId: number | null) =>
    dr.snapTool(t, ['sha', p(pool), validateImageName(image), snapId === null ? '-' : String(Math.trunc(snapId))]),
  snapCopy: (t: CephTarget, pool: string, image: string, snapId: number | null, destPool: string, dest: string) =>
    dr.snapTool(t, [
      'copy',
      p(pool),
      validateImageName(image),
      snapId === null ? '-' : String(Math.trunc(snapId)),
      p(destPool),
      validateImageName(dest),
    ]),
  /** A quick reachability probe of a host (SSH only). */
  probe: () => ['true'],
  connection: connectionArgs,
};

function withOpenrc(role: OpenstackRole, argv: string[]): string[] {
  return role.openrc && !role.cloud
    ? ['sh', '-c', '. "$1" || exit 97; shift; exec "$@"', 'sh', role.openrc, ...argv]
    : argv;
}
const os = (r: OpenstackRole, args: string[]): string[] =>
  withOpenrc(r, ['openstack', ...(r.cloud ? ['--os-cloud', r.cloud] : []), ...args]);
/** python-cinderclient reads no clouds.yaml: the role needs an openrc (checked in preconditions). */
const cinder = (r: OpenstackRole, args: string[]): string[] =>
  withOpenrc(r, ['cinder', '--os-volume-api-version', '3.64', ...args]);
const backendHost = (h: string): string => {
  if (!/^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/.test(h))
    throw new Error(`not a Cinder HOST@BACKEND: ${JSON.stringify(h.slice(0, 80))}`);
  return h;
};

export const oscmd = {
  serverStop: (r: OpenstackRole, id: string) => os(r, ['server', 'stop', checkUuid(id)]),
  serverStart: (r: OpenstackRole, id: string) => os(r, ['server', 'start', checkUuid(id)]),
  /** A hard reboot makes the hypervisor open the server's disks again (now served by the survivor). */
  serverRebootHard: (r: OpenstackRole, id: string) => os(r, ['server', 'reboot', '--hard', checkUuid(id)]),
  /** `cinder failover-host`: the whole backend moves; its driver demotes/promotes every replicated volume. */
  failoverHost: (r: OpenstackRole, host: string, backendId: string) =>
    cinder(r, ['failover-host', '--backend_id', validatePoolName(backendId), backendHost(host)]),
  serviceList: (r: OpenstackRole) => cinder(r, ['service-list', '--withreplication', '--binary', 'cinder-volume']),
};
