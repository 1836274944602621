/** Findings: what a health rule reports, with the raw fields that prove it and a command to look closer. */
import type { CephTarget } from '../../commands/ceph';
import type { ClusterNode, TopologyModel } from '../model';

export type Severity = 'error' | 'warning' | 'info';

export interface SuggestedCommand {
  hostId: string;
  argv: string[];
  /** What the command shows or does, for the button's tooltip. */
  purpose: string;
}

export interface Finding {
  /** Stable across refreshes (`rule:subject`), so a view can tell "still there" from "new". */
  id: string;
  severity: Severity;
  rule: RuleId;
  /** What it is about: a site, `cluster`, `cluster/pool`, an image key, a Glance image id. */
  subject: string;
  message: string;
  /** The raw fields the rule read (states, descriptions, timestamps…), verbatim. */
  evidence: Record<string, unknown>;
  suggestedCommand: SuggestedCommand | null;
  site?: string;
  cluster?: string;
  imageKey?: string;
}

export type RuleId =
  | 'site-unreachable'
  | 'cluster-health'
  | 'fsid-mismatch'
  | 'pool-call-failed'
  | 'daemon-missing'
  | 'daemon-unhealthy'
  | 'daemon-stale'
  | 'peer-mode-mismatch'
  | 'peer-missing'
  | 'tx-only-peer'
  | 'split-brain'
  | 'primary-both'
  | 'primary-none'
  | 'image-error'
  | 'status-missing'
  | 'sync-stuck'
  | 'replay-stalled'
  | 'rpo-exceeded'
  | 'clone-parent-not-mirrored'
  | 'pool-image-without-journaling'
  | 'orphan-rbd-image'
  | 'glance-missing-at-site'
  | 'glance-import-failed'
  | 'glance-import-stuck'
  | 'glance-store-data-missing'
  | 'openstack-unreachable';

export interface HealthOptions {
  /** ms since epoch. */
  now: number;
  /** New images: rbd-mirror publishes status ~30 s late (ceph-facts.md #5). Default 60 s. */
  graceSec?: number;
  /** Snapshot-mode RPO thresholds (seconds). Defaults 900 (3 × the usual 5 min schedule) and 3600. */
  rpoWarnSec?: number;
  rpoErrorSec?: number;
  /** Journal mode: entries behind primary before warning. Default 10000. */
  journalEntriesWarn?: number;
  /** Syncing without progress for this long is stuck (needs `previous`). Default 600. */
  syncStuckSec?: number;
  /** Glance import/copy still running after this long is stuck. Default 1800. */
  importStuckSec?: number;
  /** When each image key was first seen (ms), kept by the caller across refreshes. */
  firstSeen?: Record<string, number>;
  /** The previous model, to tell "syncing slowly" from "syncing stuck". */
  previous?: TopologyModel;
}

export type ResolvedOptions = Required<Omit<HealthOptions, 'firstSeen' | 'previous'>> &
  Pick<HealthOptions, 'firstSeen' | 'previous'>;

export function resolveOptions(o: HealthOptions): ResolvedOptions {
  return {
    now: o.now,
    graceSec: o.graceSec ?? 60,
    rpoWarnSec: o.rpoWarnSec ?? 900,
    rpoErrorSec: o.rpoErrorSec ?? 3600,
    journalEntriesWarn: o.journalEntriesWarn ?? 10_000,
    syncStuckSec: o.syncStuckSec ?? 600,
    importStuckSec: o.importStuckSec ?? 1800,
    firstSeen: o.firstSeen,
    previous: o.previous,
  };
}

export function finding(f: Omit<Finding, 'id'> & { id?: string }): Finding {
  return { ...f, id: f.id ?? `${f.rule}:${f.subject}` };
}

/** A read-only look-closer command on the cluster's ceph-mon host, or null when no host is known. */
export function onCluster(
  c: ClusterNode | undefined,
  build: (t: CephTarget) => string[],
  purpose: string,
): SuggestedCommand | null {
  if (!c?.hostId || !c.target) return null;
  try {
    return { hostId: c.hostId, argv: build(c.target), purpose };
  } catch (e) {
    // A name that fails the validators gets no command (the finding still stands, with the name in evidence).
    void e;
    return null;
  }
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
