/**
 * discover(): the whole topology, every site in parallel, one bulk call per (site, pool) for each of
 * `rbd mirror pool status --verbose`, `rbd ls -l`, `rbd mirror pool info --all`, plus `ceph status`,
 * `ceph osd pool ls detail`, `ceph df` per cluster and ONE list call per OpenStack object type. Never one call per
 * image. Never throws: a dead site or a failing command gives a partial model with the reason recorded.
 */
import type { Inventory } from '../../common/inventory/schema';
import type { CommandRunner, ExecOptions } from '../../common/ports';
import { StringPool } from '../../common/parsers/string-pool';
import { buildTopology } from '../../common/topology/build';
import type { ClusterObservation, OpenstackObservation, TopologyModel } from '../../common/topology/model';
import { discoverCluster, type CephMethod } from './discover-cluster';
import { discoverOpenstack, type OpenstackMethod } from './discover-openstack';
import type { OpenstackTunnel, TcpForwarder } from './openstack-tunnel';

export interface DiscoverOptions {
  runner: CommandRunner;
  inventory: Inventory;
  /** full: verbose status + listings (rarely); summary: summary status only (often, ~0.04 s per pool). */
  mode?: 'full' | 'summary';
  /** Limit to these sites (default all). */
  sites?: string[];
  pools?: string[];
  openstack?: OpenstackMethod | 'off';
  /** How full passes read the pools' images (pool reader, CLI, or the reader with the CLI as fallback). */
  cephMethod?: CephMethod;
  cephTimeoutSec?: number;
  execTimeoutMs?: number;
  /** Commands in flight per cluster host (the SSH pool caps channels per connection at ~6). */
  concurrency?: number;
  signal?: ExecOptions['signal'];
  now?: () => number;
  secret?: (ref: string) => Promise<string>;
  /** Forwarded channels for the OpenStack APIs (SshPool); without it the REST exec is the first choice. */
  forwarder?: TcpForwarder;
  tunnel?: OpenstackTunnel;
}

export interface Discovery {
  model: TopologyModel;
  clusters: ClusterObservation[];
  openstack: OpenstackObservation | null;
}

/** What one pass observed, before the model is built from it. */
export interface Observed {
  clusters: ClusterObservation[];
  openstack: OpenstackObservation | null;
  started: number;
}

/** Every site's clusters (and the controller on full passes) in parallel; never throws. */
export async function observe(o: DiscoverOptions): Promise<Observed> {
  const now = o.now ?? Date.now;
  const started = now();
  const mode = o.mode ?? 'full';
  const clusters = o.inventory.clusters.filter((c) => !o.sites || o.sites.includes(c.site));
  const osMethod = o.openstack ?? 'auto';
  const strings = new StringPool();
  const [obs, os] = await Promise.all([
    Promise.all(
      clusters.map((c) =>
        discoverCluster({
          runner: o.runner,
          inventory: o.inventory,
          cluster: c.name,
          mode,
          cephTimeoutSec: o.cephTimeoutSec ?? 10,
          execTimeoutMs: o.execTimeoutMs ?? 120_000,
          concurrency: o.concurrency ?? 6,
          ...(o.cephMethod ? { cephMethod: o.cephMethod } : {}),
          ...(o.pools ? { pools: o.pools } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          now,
          strings,
        }).catch((e: unknown) => crashed(c.name, c.site, e)),
      ),
    ),
    mode === 'full' && osMethod !== 'off'
      ? discoverOpenstack({
          runner: o.runner,
          inventory: o.inventory,
          method: osMethod,
          execTimeoutMs: o.execTimeoutMs ?? 120_000,
          now,
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.secret ? { secret: o.secret } : {}),
          ...(o.forwarder ? { forwarder: o.forwarder } : {}),
          ...(o.tunnel ? { tunnel: o.tunnel } : {}),
        }).catch((e: unknown): OpenstackObservation => ({
          hostId: null,
          reachable: false,
          reason: e instanceof Error ? e.message : String(e),
          inventory: null,
          problems: [],
          durationMs: 0,
        }))
      : Promise.resolve(null),
  ]);
  return { clusters: obs, openstack: os, started };
}

/** The model of what `observe` saw (synchronous: nothing else runs on the host meanwhile). */
export function buildObserved(o: DiscoverOptions, seen: Observed): TopologyModel {
  const now = o.now ?? Date.now;
  return buildTopology({
    inventory: o.inventory,
    clusters: seen.clusters,
    openstack: seen.openstack,
    generatedAt: now(),
    mode: o.mode ?? 'full',
    durationMs: now() - seen.started,
  });
}

export async function discoverRaw(o: DiscoverOptions): Promise<Discovery> {
  const seen = await observe(o);
  return { model: buildObserved(o, seen), clusters: seen.clusters, openstack: seen.openstack };
}

/** The model only. */
export async function discover(o: DiscoverOptions): Promise<TopologyModel> {
  return (await discoverRaw(o)).model;
}

/** A bug in discovery must not take the other sites down with it. */
function crashed(cluster: string, site: string, e: unknown): ClusterObservation {
  const message = `discovery failed: ${e instanceof Error ? e.message : String(e)}`;
  return {
    cluster,
    site,
    hostId: null,
    target: null,
    reachable: false,
    reason: message,
    status: null,
    osdPools: null,
    df: null,
    pools: [],
    problems: [{ scope: 'cluster', subject: cluster, hostId: null, code: 'command-failed', message }],
    durationMs: 0,
  };
}
