/**
 * The site map as a graph: one node per cluster (grouped by site), one per Glance store and the OpenStack
 * controller; one edge per pair of peered clusters carrying which pools flow which way. Laid out by dagre.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { Finding, Severity } from '../../../../core/common/topology/health/finding';
import type { TopologyOverviewModel } from '../../../../core/common/topology/overview';

export interface MapNode {
  id: string;
  kind: 'cluster' | 'store' | 'openstack';
  title: string;
  lines: string[];
  status: 'ok' | Severity | 'down';
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface MapEdge {
  id: string;
  from: string;
  to: string;
  /** Data flows from → to, to → from, or both. */
  forward: boolean;
  backward: boolean;
  label: string;
  points: { x: number; y: number }[];
  dashed: boolean;
}
export interface SiteGraph {
  nodes: MapNode[];
  edges: MapEdge[];
  width: number;
  height: number;
}

const RANK: Record<string, number> = { down: -1, error: 0, warning: 1, info: 2, ok: 3 };
const worse = (a: MapNode['status'], b: MapNode['status']): MapNode['status'] =>
  (RANK[a] ?? 3) <= (RANK[b] ?? 3) ? a : b;

export function buildSiteGraph(m: TopologyOverviewModel, findings: Finding[]): SiteGraph {
  const g = new Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 140, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, MapNode>();
  const add = (n: Omit<MapNode, 'x' | 'y'>): void => {
    nodes.set(n.id, { ...n, x: 0, y: 0 });
    g.setNode(n.id, { width: n.width, height: n.height });
  };
  for (const c of m.clusters) {
    const pools = m.pools.filter((p) => p.cluster === c.name);
    const daemons = new Map<string, string>();
    for (const p of pools)
      for (const d of p.daemons)
        daemons.set(d.serviceId, d.health + (d.callouts.length ? ` (${d.callouts.join('; ')})` : ''));
    let status: MapNode['status'] = c.reachable ? 'ok' : 'down';
    for (const f of findings)
      if (f.cluster === c.name || (f.site === c.site && f.rule === 'site-unreachable'))
        status = worse(status, f.severity);
    if (!c.reachable) status = 'down';
    const lines = c.reachable
      ? [
          `${c.health ?? '?'} · ${c.release ?? ''} · osd ${c.osds?.up ?? '?'}/${c.osds?.total ?? '?'}`,
          `rbd-mirror: ${daemons.size === 0 ? 'none' : [...daemons.values()].join(', ')}`,
          `pools: ${pools.map((p) => `${p.name}(${p.mirrorMode})`).join(' ')}`,
        ]
      : [`UNREACHABLE`, (c.reason ?? '').slice(0, 60)];
    add({
      id: `cluster:${c.name}`,
      kind: 'cluster',
      title: `${c.site} / ${c.name}`,
      lines,
      status,
      width: 300,
      height: 30 + lines.length * 16,
    });
  }
  // Peers: aggregate pools per unordered cluster pair, with the direction data flows.
  const pairs = new Map<string, { a: string; b: string; ab: Set<string>; ba: Set<string>; dashed: boolean }>();
  for (const p of m.pools) {
    for (const peer of p.peers) {
      if (!peer.remoteCluster || !nodes.has(`cluster:${peer.remoteCluster}`)) continue;
      const [a, b] = [p.cluster, peer.remoteCluster].sort() as [string, string];
      const key = `${a}|${b}`;
      const e = pairs.get(key) ?? { a, b, ab: new Set<string>(), ba: new Set<string>(), dashed: false };
      // rx on this pool: the remote's data flows here; rx-tx and tx-only: this pool's data flows there.
      const toHere = peer.direction === 'rx-tx' || peer.direction === 'rx-only';
      const toThere = peer.direction === 'rx-tx' || peer.direction === 'tx-only';
      const here = p.cluster === a ? 'a' : 'b';
      if (toHere) (here === 'a' ? e.ba : e.ab).add(p.name);
      if (toThere) (here === 'a' ? e.ab : e.ba).add(p.name);
      if (peer.direction === 'tx-only') e.dashed = true;
      pairs.set(key, e);
    }
  }
  for (const [key, e] of pairs) g.setEdge(`cluster:${e.a}`, `cluster:${e.b}`, { label: key, width: 120, height: 20 });
  for (const s of m.glanceStores) {
    const id = `store:${s.id}`;
    add({
      id,
      kind: 'store',
      title: `Glance store ${s.id}`,
      lines: [`${s.type ?? '?'} ${s.cluster ? `${s.cluster}/${s.pool ?? '?'}` : ''}${s.isDefault ? ' (default)' : ''}`],
      status: s.reported || !m.openstack ? 'ok' : 'warning',
      width: 210,
      height: 46,
    });
    if (s.cluster && nodes.has(`cluster:${s.cluster}`)) g.setEdge(id, `cluster:${s.cluster}`, {});
  }
  if (m.openstack) {
    const os = m.openstack;
    add({
      id: 'openstack',
      kind: 'openstack',
      title: `OpenStack (${os.hostId ?? '?'})`,
      lines: os.reachable
        ? [
            `${os.counts.images} images · ${os.counts.volumes} volumes · ${os.counts.servers} servers`,
            `via ${os.source ?? '?'}${Object.keys(os.errors).length ? ` · errors: ${Object.keys(os.errors).join(',')}` : ''}`,
          ]
        : ['UNREACHABLE', (os.reason ?? '').slice(0, 60)],
      status: !os.reachable ? 'down' : Object.keys(os.errors).length ? 'warning' : 'ok',
      width: 260,
      height: 62,
    });
    for (const s of m.glanceStores) g.setEdge('openstack', `store:${s.id}`, {});
  }
  layout(g);
  for (const id of g.nodes()) {
    const n = nodes.get(id);
    const l = g.node(id) as { x: number; y: number } | undefined;
    if (n && l) Object.assign(n, { x: l.x - n.width / 2, y: l.y - n.height / 2 });
  }
  const edges: MapEdge[] = [];
  for (const ge of g.edges()) {
    const lab = g.edge(ge) as { points?: { x: number; y: number }[]; label?: string };
    const pair = lab.label ? pairs.get(lab.label) : undefined;
    edges.push({
      id: `${ge.v}->${ge.w}`,
      from: ge.v,
      to: ge.w,
      forward: pair ? pair.ab.size > 0 : false,
      backward: pair ? pair.ba.size > 0 : false,
      label: pair ? describe(pair) : '',
      points: lab.points ?? [],
      dashed: pair ? pair.dashed : true,
    });
  }
  const gl = g.graph() as { width?: number; height?: number };
  return { nodes: [...nodes.values()], edges, width: gl.width ?? 800, height: gl.height ?? 400 };
}

function describe(p: { a: string; b: string; ab: Set<string>; ba: Set<string> }): string {
  const both = [...p.ab].filter((x) => p.ba.has(x));
  const onlyAb = [...p.ab].filter((x) => !p.ba.has(x));
  const onlyBa = [...p.ba].filter((x) => !p.ab.has(x));
  const parts: string[] = [];
  if (both.length) parts.push(`⇄ ${both.join(',')}`);
  if (onlyAb.length) parts.push(`→ ${onlyAb.join(',')}`);
  if (onlyBa.length) parts.push(`← ${onlyBa.join(',')}`);
  return parts.join('  ');
}
