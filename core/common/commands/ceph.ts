/**
 * argv builders for the `ceph` CLI, plus the name validators every Ceph-derived name passes before it reaches an
 * argv. A dead cluster makes the Ceph CLIs hang forever (ceph-facts.md gotcha 9), so every call carries the
 * connect, mount and mon-op timeouts; the runner enforces a wall-clock limit on top.
 */
import type { HostRole } from '../inventory/schema';

/** How to reach one cluster from one host: taken from the host's `ceph-mon` role. */
export interface CephTarget {
  conf?: string;
  clientId?: string;
  keyring?: string;
  sudo: boolean;
  /** Seconds for --connect-timeout / --client-mount-timeout / --rados-mon-op-timeout (default 10). */
  timeoutSec?: number;
}

export const DEFAULT_CEPH_TIMEOUT_SEC = 10;

export class CephNameError extends Error {
  constructor(kind: string, value: string, reason: string) {
    super(`invalid ${kind} name ${JSON.stringify(value.slice(0, 80))}: ${reason}`);
    this.name = 'CephNameError';
  }
}

// Ceph accepts almost anything in pool and image names; we accept what OpenStack and operators produce and refuse
// what could be read as an option, a pool/image/snap separator, or shell-significant control text.
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._:+=-]{0,254}$/;

function check(kind: string, value: string): string {
  if (!SAFE_NAME.test(value)) {
    throw new CephNameError(kind, value, 'allowed: letters, digits, . _ - : + = (max 255), not starting with - or .');
  }
  return value;
}

export const validatePoolName = (v: string): string => check('pool', v);
export const validateImageName = (v: string): string => check('image', v);
export const validateSnapName = (v: string): string => check('snapshot', v);
/** True when a name from a cluster can be put into an argv. */
export function isSafeCephName(v: string): boolean {
  return SAFE_NAME.test(v);
}

/** Builds a CephTarget from an inventory `ceph-mon` role. */
export function cephTargetFromRole(role: Extract<HostRole, { kind: 'ceph-mon' }>, timeoutSec?: number): CephTarget {
  const t: CephTarget = { sudo: role.sudo };
  if (role.conf) t.conf = role.conf;
  if (role.clientId) t.clientId = role.clientId;
  if (role.keyring) t.keyring = role.keyring;
  if (timeoutSec !== undefined) t.timeoutSec = timeoutSec;
  return t;
}

/** Common connection options shared by ceph and rbd (conf, id, keyring). */
export function connectionArgs(t: CephTarget): string[] {
  const a: string[] = [];
  if (t.conf) a.push('--conf', t.conf);
  if (t.clientId) a.push('--id', t.clientId);
  if (t.keyring) a.push('--keyring', t.keyring);
  return a;
}

function sudo(t: CephTarget): string[] {
  return t.sudo ? ['sudo', '-n'] : [];
}

function timeout(t: CephTarget): string {
  const s = t.timeoutSec ?? DEFAULT_CEPH_TIMEOUT_SEC;
  return String(Math.max(1, Math.round(s)));
}

/** `ceph` prefix with connection options and all three timeouts. */
export function cephBase(t: CephTarget): string[] {
  const s = timeout(t);
  return [
    ...sudo(t),
    'ceph',
    ...connectionArgs(t),
    '--connect-timeout',
    s,
    '--client-mount-timeout',
    s,
    '--rados-mon-op-timeout',
    s,
  ];
}

export const cephStatus = (t: CephTarget): string[] => [...cephBase(t), 'status', '--format', 'json'];
export const cephOsdPoolLsDetail = (t: CephTarget): string[] => [
  ...cephBase(t),
  'osd',
  'pool',
  'ls',
  'detail',
  '--format',
  'json',
];
export const cephDf = (t: CephTarget): string[] => [...cephBase(t), 'df', '--format', 'json'];
export const cephHealthDetail = (t: CephTarget): string[] => [...cephBase(t), 'health', 'detail', '--format', 'json'];
export const cephServiceDump = (t: CephTarget): string[] => [...cephBase(t), 'service', 'dump', '--format', 'json'];
