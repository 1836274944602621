/**
 * argv builders for the `rbd` CLI. Always JSON output, always the mount/mon-op/osd-op timeouts (rbd has no
 * --connect-timeout: it fails "unrecognised option"). Pool, image and snapshot names go through the validators.
 */
import {
  connectionArgs,
  DEFAULT_CEPH_TIMEOUT_SEC,
  validateImageName,
  validatePoolName,
  validateSnapName,
  type CephTarget,
} from './ceph';

export function rbdBase(t: CephTarget): string[] {
  const s = String(Math.max(1, Math.round(t.timeoutSec ?? DEFAULT_CEPH_TIMEOUT_SEC)));
  return [
    ...(t.sudo ? ['sudo', '-n'] : []),
    'rbd',
    ...connectionArgs(t),
    '--client-mount-timeout',
    s,
    '--rados-mon-op-timeout',
    s,
    '--rados-osd-op-timeout',
    s,
  ];
}

const spec = (pool: string, image: string): string => `${validatePoolName(pool)}/${validateImageName(image)}`;
const json = ['--format', 'json'];

/** Bulk, one per (site, pool): every mirrored image's state, description and peer sites. */
export const rbdMirrorPoolStatusVerbose = (t: CephTarget, pool: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'pool',
  'status',
  validatePoolName(pool),
  '--verbose',
  ...json,
];
/** Summary only (~0.04 s vs ~0.9 s for 200 images): for frequent polling. */
export const rbdMirrorPoolStatusSummary = (t: CephTarget, pool: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'pool',
  'status',
  validatePoolName(pool),
  ...json,
];
/** `--all` also shows the hidden tx-only peers a one-way destination registers (ceph-facts.md gotcha 7). */
export const rbdMirrorPoolInfo = (t: CephTarget, pool: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'pool',
  'info',
  validatePoolName(pool),
  '--all',
  ...json,
];
export const rbdLsLong = (t: CephTarget, pool: string): string[] => [
  ...rbdBase(t),
  'ls',
  '-l',
  validatePoolName(pool),
  ...json,
];
export const rbdInfo = (t: CephTarget, pool: string, image: string): string[] => [
  ...rbdBase(t),
  'info',
  spec(pool, image),
  ...json,
];
export const rbdMirrorImageStatus = (t: CephTarget, pool: string, image: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'image',
  'status',
  spec(pool, image),
  ...json,
];
export const rbdSnapLsAll = (t: CephTarget, pool: string, image: string): string[] => [
  ...rbdBase(t),
  'snap',
  'ls',
  '--all',
  spec(pool, image),
  ...json,
];
export const rbdMirrorSnapshotScheduleStatus = (t: CephTarget, pool: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'snapshot',
  'schedule',
  'status',
  '--pool',
  validatePoolName(pool),
  ...json,
];

/** Change commands, only ever suggested in findings (the operator runs them in a terminal). */
export const rbdMirrorImageResync = (t: CephTarget, pool: string, image: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'image',
  'resync',
  spec(pool, image),
];
export const rbdMirrorImageDemote = (t: CephTarget, pool: string, image: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'image',
  'demote',
  spec(pool, image),
];
export const rbdMirrorImagePromote = (t: CephTarget, pool: string, image: string, force = false): string[] => [
  ...rbdBase(t),
  'mirror',
  'image',
  'promote',
  ...(force ? ['--force'] : []),
  spec(pool, image),
];
export const rbdMirrorImageSnapshot = (t: CephTarget, pool: string, image: string): string[] => [
  ...rbdBase(t),
  'mirror',
  'image',
  'snapshot',
  spec(pool, image),
];
export const rbdParentSpec = (pool: string, image: string, snap: string): string =>
  `${spec(pool, image)}@${validateSnapName(snap)}`;
