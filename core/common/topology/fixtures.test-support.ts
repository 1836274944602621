/**
 * Builds ClusterObservations from captured CLI outputs, for unit tests and the bench. The caller passes the text
 * (core/common cannot read files), so the same code serves fixtures on disk and generated documents.
 */
import type { CephTarget } from '../commands/ceph';
import type { Inventory } from '../inventory/schema';
import { inventorySchema } from '../inventory/schema';
import { parseCephStatus } from '../parsers/ceph';
import { parseMirrorPoolStatus } from '../parsers/mirror-pool-status';
import { parseMirrorPoolInfo, parseRbdLsLong } from '../parsers/rbd';
import type { ClusterObservation, PoolObservation } from './model';

export const TWO_SITE_INVENTORY: Inventory = inventorySchema.parse({
  version: 1,
  sites: [
    { name: 'site-a', role: 'primary' },
    { name: 'site-b', role: 'secondary' },
  ],
  clusters: [
    { name: 'site-a', site: 'site-a' },
    { name: 'site-b', site: 'site-b' },
  ],
  hosts: [
    {
      id: 'mon-a',
      site: 'site-a',
      address: '127.0.0.1',
      user: 'op',
      auth: { method: 'agent' },
      roles: [{ kind: 'ceph-mon', cluster: 'site-a' }],
    },
    {
      id: 'mon-b',
      site: 'site-b',
      address: '127.0.0.2',
      user: 'op',
      auth: { method: 'agent' },
      roles: [{ kind: 'ceph-mon', cluster: 'site-b' }],
    },
    {
      id: 'ctl',
      address: '127.0.0.3',
      user: 'op',
      auth: { method: 'agent' },
      roles: [{ kind: 'openstack-controller', cloud: 'lab' }],
    },
  ],
  glance: {
    stores: [
      { id: 'central', site: 'site-a', cluster: 'site-a', pool: 'images' },
      { id: 'dcn0', site: 'site-b', cluster: 'site-b', pool: 'images' },
      { id: 'dcn1', site: 'site-b' },
    ],
  },
});

export interface PoolTexts {
  pool: string;
  info?: string;
  status?: string;
  listing?: string;
  verbose?: boolean;
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

export function observeCluster(
  site: string,
  cephS: string | null,
  pools: PoolTexts[],
  reason: string | null = null,
): ClusterObservation {
  const target: CephTarget = { sudo: false };
  if (reason !== null) {
    return {
      cluster: site,
      site,
      hostId: `mon-${site.slice(-1)}`,
      target,
      reachable: false,
      reason,
      status: null,
      osdPools: null,
      df: null,
      pools: [],
      problems: [
        { scope: 'cluster', subject: site, hostId: `mon-${site.slice(-1)}`, code: 'timeout', message: reason },
      ],
      durationMs: 10_000,
    };
  }
  const obs: PoolObservation[] = pools.map((p) => ({
    pool: p.pool,
    info: p.info ? must(parseMirrorPoolInfo(p.info)) : null,
    status: p.status ? must(parseMirrorPoolStatus(p.status)) : null,
    verbose: p.verbose ?? true,
    listing: p.listing ? must(parseRbdLsLong(p.listing)).images : null,
  }));
  return {
    cluster: site,
    site,
    hostId: `mon-${site.slice(-1)}`,
    target,
    reachable: true,
    reason: null,
    status: cephS ? must(parseCephStatus(cephS)) : null,
    osdPools: null,
    df: null,
    pools: obs,
    problems: [],
    durationMs: 1,
  };
}
