/**
 * buildTopology: turns what discovery observed (per cluster, per pool, plus the OpenStack lists) into the model.
 * Pure and linear in the number of images (20k images → tens of ms); a missing site yields a partial model whose
 * images still show that site's side as seen by its peers (`peer_sites`).
 */
import type { Inventory } from '../inventory/schema';
import type { MirrorImageStatus } from '../parsers/mirror-pool-status';
import type { RbdListedImage } from '../parsers/rbd';
import { modeOfReplay, roleOf, rpoOf } from './classify';
import type {
  ClusterNode,
  ClusterObservation,
  DiscoveryProblem,
  GlanceStoreNode,
  ImageNode,
  ImageSide,
  OpenstackObservation,
  OpenstackState,
  PeerEdge,
  PoolNode,
  SiteNode,
  TopologyModel,
} from './model';
import { pairImage, pairingIndex } from './openstack-pairing';

export interface BuildInput {
  inventory: Inventory;
  clusters: ClusterObservation[];
  openstack: OpenstackObservation | null;
  generatedAt: number;
  mode: 'full' | 'summary';
  durationMs?: number;
}

export function buildTopology(input: BuildInput): TopologyModel {
  const { inventory } = input;
  const problems: DiscoveryProblem[] = [];
  for (const c of input.clusters) problems.push(...c.problems);
  if (input.openstack) problems.push(...input.openstack.problems);

  const clusters = input.clusters.map((c) => clusterNode(c, inventory));
  const siteNameToCluster = cephSiteNames(input.clusters);
  const pools: PoolNode[] = [];
  for (const c of input.clusters) for (const p of c.pools) pools.push(poolNode(c, p, siteNameToCluster, inventory));

  const images = input.mode === 'full' ? buildImages(input, siteNameToCluster) : [];
  const glanceStores = glanceStoreNodes(inventory, input.openstack);

  const sites: SiteNode[] = inventory.sites.map((s) => {
    const mine = clusters.filter((c) => c.site === s.name);
    const down = mine.filter((c) => !c.reachable);
    // A site without any Ceph cluster in the inventory (an edge with a file store, say) has nothing to reach.
    const cephSite = inventory.clusters.some((c) => c.site === s.name);
    return {
      name: s.name,
      role: s.role,
      reachable: cephSite ? mine.length > 0 && down.length === 0 : true,
      reason:
        down[0]?.reason ??
        (cephSite && mine.length === 0
          ? 'no cluster of this site has a reachable ceph-mon host in the inventory'
          : null),
      clusters: mine.map((c) => c.name),
    };
  });

  return {
    generatedAt: input.generatedAt,
    mode: input.mode,
    sites,
    clusters,
    pools,
    images,
    glanceStores,
    openstack: input.openstack ? openstackState(input.openstack) : null,
    problems,
    stats: {
      images: images.length,
      sides: images.reduce((n, i) => n + i.sides.length, 0),
      durationMs: input.durationMs ?? 0,
    },
  };
}

function clusterNode(c: ClusterObservation, inv: Inventory): ClusterNode {
  const expected = inv.clusters.find((x) => x.name === c.cluster)?.fsid ?? null;
  return {
    name: c.cluster,
    site: c.site,
    hostId: c.hostId,
    target: c.target,
    reachable: c.reachable,
    reason: c.reason,
    fsid: c.status?.fsid ?? null,
    expectedFsid: expected,
    health: c.status?.health ?? null,
    checks: c.status?.checks ?? [],
    release: c.status?.release ?? null,
    osds: c.status?.osds ?? null,
    capacity: c.df ? { totalBytes: c.df.totalBytes, availBytes: c.df.availBytes } : null,
    rbdMirrorRegistered: c.status?.rbdMirrorDaemons.length ?? 0,
    durationMs: c.durationMs,
  };
}

/** Ceph `site_name` (from mirror pool info) → inventory cluster; cluster names count as site names too. */
function cephSiteNames(obs: ClusterObservation[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of obs) m.set(c.cluster, c.cluster);
  for (const c of obs) for (const p of c.pools) if (p.info?.siteName) m.set(p.info.siteName, c.cluster);
  return m;
}

function poolNode(
  c: ClusterObservation,
  p: ClusterObservation['pools'][number],
  names: Map<string, string>,
  inv: Inventory,
): PoolNode {
  const key = `${c.cluster}/${p.pool}`;
  const peers: PeerEdge[] = (p.info?.peers ?? []).map((x) => ({
    from: key,
    uuid: x.uuid,
    direction: x.direction,
    remoteSiteName: x.siteName,
    remoteCluster: names.get(x.siteName) ?? null,
    clientName: x.clientName,
    mirrorUuid: x.mirrorUuid,
  }));
  const st = p.status;
  const problem = c.problems.find((x) => x.scope === 'pool' && x.subject === key);
  return {
    key,
    cluster: c.cluster,
    site: c.site,
    name: p.pool,
    mirrorMode: p.info?.mode ?? 'unknown',
    siteName: p.info?.siteName ?? null,
    peers,
    daemons: (st?.daemons ?? []).map((d) => ({
      cluster: c.cluster,
      pool: p.pool,
      serviceId: d.serviceId,
      instanceId: d.instanceId,
      hostname: d.hostname,
      version: d.cephVersion,
      leader: d.leader,
      health: d.health,
      callouts: d.callouts,
    })),
    summary: st
      ? { health: st.health, daemonHealth: st.daemonHealth, imageHealth: st.imageHealth, states: st.states }
      : null,
    verbose: p.verbose,
    method: p.method ?? null,
    fallback: p.fallback ?? null,
    imageCount: p.listing ? p.listing.length : null,
    mirroredImageCount: st && p.verbose ? st.images.length : null,
    stored: c.df?.pools.find((x) => x.name === p.pool)?.stored ?? null,
    problem: problem ? problem.message : null,
    glanceStores: inv.glance.stores.filter((s) => s.cluster === c.cluster && s.pool === p.pool).map((s) => s.id),
  };
}

function side(
  c: ClusterObservation,
  pool: string,
  listed: RbdListedImage | undefined,
  st: MirrorImageStatus | undefined,
  listingKnown: boolean,
): ImageSide {
  return {
    cluster: c.cluster,
    site: c.site,
    pool,
    source: 'local',
    present: listed !== undefined || (!listingKnown && st !== undefined),
    id: listed?.id ?? null,
    size: listed?.size ?? null,
    parent: listed?.parent
      ? { pool: listed.parent.pool, image: listed.parent.image, snapshot: listed.parent.snapshot }
      : null,
    snapshotCount: listed?.snapshots.length ?? 0,
    mirrored: st !== undefined,
    state: st?.state?.raw ?? null,
    up: st?.state?.up ?? null,
    status: st?.state?.status ?? null,
    description: st?.description ?? null,
    text: st ? st.parsed.text : null,
    replay: st?.parsed.replay ?? null,
    syncPercent: st?.parsed.syncPercent ?? null,
    splitBrain: st?.parsed.splitBrain ?? false,
    lastUpdate: st?.lastUpdate ?? null,
    role: st ? roleOf(st.state, st.description) : 'unknown',
  };
}

interface PeerView {
  key: string;
  cluster: string;
  site: string;
  pool: string;
  peer: MirrorImageStatus['peers'][number];
}

function buildImages(input: BuildInput, names: Map<string, string>): ImageNode[] {
  const nodes = new Map<string, ImageNode>();
  const views: PeerView[] = [];
  const observedVerbose = new Set<string>();
  const siteOfCluster = new Map(input.clusters.map((c) => [c.cluster, c.site]));
  const poolMode = new Map<string, string>();

  for (const c of input.clusters) {
    for (const p of c.pools) {
      poolMode.set(`${c.cluster}/${p.pool}`, p.info?.mode ?? 'unknown');
      if (!p.verbose || (!p.status && !p.listing)) continue;
      if (p.status) observedVerbose.add(`${c.cluster}/${p.pool}`);
      const byName = new Map((p.status?.images ?? []).map((i) => [i.name, i]));
      const listed = new Map((p.listing ?? []).map((i) => [i.name, i]));
      const allNames = new Set([...listed.keys(), ...byName.keys()]);
      for (const name of allNames) {
        const st = byName.get(name);
        const key = st?.globalId ? `gid:${st.globalId}` : `${c.cluster}/${p.pool}/${name}`;
        let node = nodes.get(key);
        if (!node) {
          node = {
            key,
            globalId: st?.globalId ?? null,
            name,
            pool: p.pool,
            mode: 'none',
            sides: [],
            primaries: [],
            openstack: { kind: 'none', expected: null, id: null, name: null, status: null, verified: false },
            rpo: null,
          };
          nodes.set(key, node);
        }
        node.sides.push(side(c, p.pool, listed.get(name), st, p.listing !== null));
        for (const peer of st?.peers ?? []) {
          const cluster = names.get(peer.siteName);
          if (cluster) views.push({ key, cluster, site: siteOfCluster.get(cluster) ?? '', pool: p.pool, peer });
        }
      }
    }
  }

  // A side we could not observe ourselves (site down, pool call failed) is shown as its peers last saw it.
  for (const v of views) {
    if (observedVerbose.has(`${v.cluster}/${v.pool}`)) continue;
    const node = nodes.get(v.key);
    if (!node || node.sides.some((s) => s.cluster === v.cluster)) continue;
    node.sides.push({
      cluster: v.cluster,
      site: v.site,
      pool: v.pool,
      source: 'peer-view',
      present: true,
      id: null,
      size: null,
      parent: null,
      snapshotCount: 0,
      mirrored: true,
      state: v.peer.state?.raw ?? null,
      up: v.peer.state?.up ?? null,
      status: v.peer.state?.status ?? null,
      description: v.peer.description,
      text: v.peer.parsed.text,
      replay: v.peer.parsed.replay,
      syncPercent: v.peer.parsed.syncPercent,
      splitBrain: v.peer.parsed.splitBrain,
      lastUpdate: v.peer.lastUpdate,
      role: roleOf(v.peer.state, v.peer.description),
    });
  }

  const os = input.openstack?.inventory ?? null;
  const idx = pairingIndex(
    os,
    input.inventory.glance.stores.flatMap((s) => (s.cluster && s.pool ? [{ cluster: s.cluster, pool: s.pool }] : [])),
  );
  const out: ImageNode[] = [];
  for (const node of nodes.values()) {
    finishNode(node, poolMode, input.generatedAt);
    node.openstack = pairImage(
      node.name,
      node.pool,
      node.sides.map((s) => s.cluster),
      idx,
    );
    out.push(node);
  }
  return out;
}

function finishNode(node: ImageNode, poolMode: Map<string, string>, now: number): void {
  const mirrored = node.sides.some((s) => s.mirrored);
  let mode: ImageNode['mode'] = mirrored ? 'unknown' : 'none';
  if (mirrored) {
    for (const s of node.sides) {
      const m = modeOfReplay(
        s.replay,
        s.text ? { text: s.text, replay: s.replay, syncPercent: s.syncPercent, splitBrain: s.splitBrain } : undefined,
      );
      if (m) {
        mode = m;
        break;
      }
    }
    // Pool-mode mirroring is journal-based by definition.
    if (mode === 'unknown' && node.sides.some((s) => poolMode.get(`${s.cluster}/${s.pool}`) === 'pool'))
      mode = 'journal';
  }
  node.mode = mode;
  node.primaries = node.sides.filter((s) => s.role === 'primary').map((s) => s.cluster);
  node.rpo = rpoOf(node.sides, now);
}

function glanceStoreNodes(inv: Inventory, os: OpenstackObservation | null): GlanceStoreNode[] {
  const reported = os?.inventory?.stores ?? [];
  const out: GlanceStoreNode[] = inv.glance.stores.map((s) => {
    const r = reported.find((x) => x.id === s.id);
    return {
      id: s.id,
      site: s.site,
      cluster: s.cluster ?? null,
      pool: s.pool ?? r?.pool ?? null,
      type: r?.type ?? (s.cluster ? 'rbd' : null),
      isDefault: r?.isDefault ?? false,
      configured: true,
      reported: r !== undefined,
    };
  });
  for (const r of reported) {
    if (out.some((s) => s.id === r.id)) continue;
    out.push({
      id: r.id,
      site: null,
      cluster: null,
      pool: r.pool,
      type: r.type,
      isDefault: r.isDefault,
      configured: false,
      reported: true,
    });
  }
  return out;
}

function openstackState(o: OpenstackObservation): OpenstackState {
  const inv = o.inventory;
  return {
    hostId: o.hostId,
    reachable: o.reachable,
    reason: o.reason,
    source: inv?.source ?? null,
    errors: inv?.errors ?? {},
    images: inv?.images ?? [],
    volumes: inv?.volumes ?? [],
    servers: inv?.servers ?? [],
    stores: inv?.stores ?? [],
    durationMs: o.durationMs,
  };
}
