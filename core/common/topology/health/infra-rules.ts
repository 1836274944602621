/** Site, cluster, pool, peer and rbd-mirror daemon rules. */
import { cephStatus } from '../../commands/ceph';
import { rbdMirrorPoolInfo, rbdMirrorPoolStatusVerbose } from '../../commands/rbd';
import type { ClusterNode, PoolNode, TopologyModel } from '../model';
import { finding, onCluster, type Finding } from './finding';

export function siteRules(m: TopologyModel, byName: Map<string, ClusterNode>): Finding[] {
  const out: Finding[] = [];
  for (const s of m.sites) {
    if (s.reachable) continue;
    const down = s.clusters.map((c) => byName.get(c)).filter((c): c is ClusterNode => !!c && !c.reachable);
    out.push(
      finding({
        severity: 'error',
        rule: 'site-unreachable',
        subject: s.name,
        site: s.name,
        message: `Site ${s.name} is unreachable: ${s.reason ?? 'unknown reason'}. Its images are shown as their peers last saw them.`,
        evidence: {
          reason: s.reason,
          clusters: down.map((c) => ({ name: c.name, hostId: c.hostId, reason: c.reason })),
          problems: m.problems.filter((p) => p.subject === s.name || down.some((c) => c.name === p.subject)),
        },
        suggestedCommand: onCluster(down[0], cephStatus, 'check whether the monitors answer'),
      }),
    );
  }
  return out;
}

export function clusterRules(m: TopologyModel): Finding[] {
  const out: Finding[] = [];
  for (const c of m.clusters) {
    if (c.reachable && c.health && c.health !== 'HEALTH_OK') {
      out.push(
        finding({
          severity: c.health === 'HEALTH_ERR' ? 'error' : 'warning',
          rule: 'cluster-health',
          subject: c.name,
          site: c.site,
          cluster: c.name,
          message: `Cluster ${c.name} reports ${c.health}: ${c.checks.map((x) => x.code).join(', ') || 'no checks listed'}`,
          evidence: { health: c.health, checks: c.checks },
          suggestedCommand: onCluster(c, cephStatus, 'cluster status'),
        }),
      );
    }
    if (c.fsid && c.expectedFsid && c.fsid !== c.expectedFsid) {
      out.push(
        finding({
          severity: 'error',
          rule: 'fsid-mismatch',
          subject: c.name,
          site: c.site,
          cluster: c.name,
          message: `Cluster ${c.name} answered with fsid ${c.fsid}, the inventory expects ${c.expectedFsid}: wrong host or conf?`,
          evidence: { fsid: c.fsid, expectedFsid: c.expectedFsid, hostId: c.hostId, conf: c.target?.conf ?? null },
          suggestedCommand: onCluster(c, cephStatus, 'cluster identity'),
        }),
      );
    }
  }
  for (const p of m.pools) {
    if (!p.problem) continue;
    out.push(
      finding({
        severity: 'warning',
        rule: 'pool-call-failed',
        subject: p.key,
        site: p.site,
        cluster: p.cluster,
        message: `Pool ${p.key}: ${p.problem}. Shown partially.`,
        evidence: { problems: m.problems.filter((x) => x.subject === p.key) },
        suggestedCommand: null,
      }),
    );
  }
  return out;
}

const needsDaemon = (p: PoolNode): boolean =>
  p.mirrorMode !== 'disabled' && p.peers.some((x) => x.direction === 'rx-tx' || x.direction === 'rx-only');

export function daemonRules(m: TopologyModel, byName: Map<string, ClusterNode>): Finding[] {
  const out: Finding[] = [];
  for (const p of m.pools) {
    const c = byName.get(p.cluster);
    if (!c?.reachable || !p.summary) continue;
    const look = onCluster(
      c,
      (t) => rbdMirrorPoolStatusVerbose(t, p.name),
      'daemons and per-image states of this pool',
    );
    // A summary refresh lists no daemons (see PoolNode.daemonsAsOf): the list is the last full scan's, and only the
    // pool's daemon_health is current. UNKNOWN there means no rbd-mirror reports for this pool (seen in the lab
    // right after `fault stop-mirror`); OK means the last list still stands.
    const fromSummary = p.daemonsAsOf !== undefined;
    const asOf = fromSummary ? { daemonsAsOf: new Date(p.daemonsAsOf ?? 0).toISOString() } : {};
    const live = p.daemons.filter((d) => d.instanceId !== null);
    const missing = fromSummary ? p.summary.daemonHealth === 'UNKNOWN' : live.length === 0;
    if (needsDaemon(p) && missing) {
      out.push(
        finding({
          severity: 'error',
          rule: 'daemon-missing',
          subject: p.key,
          site: p.site,
          cluster: p.cluster,
          message: `No running rbd-mirror daemon replays pool ${p.key} (it has a receiving peer): images from the peer are not being copied here.`,
          evidence: {
            daemonHealth: p.summary.daemonHealth,
            ...(fromSummary ? { observedIn: 'summary refresh (pool daemon_health)', ...asOf } : {}),
            daemons: fromSummary ? [] : p.daemons,
            peers: p.peers.map((x) => ({ site: x.remoteSiteName, direction: x.direction })),
          },
          suggestedCommand: look,
        }),
      );
      continue;
    }
    // The last full scan's per-daemon health is stale once the summary says OK again.
    if (fromSummary && p.summary.daemonHealth === 'OK') continue;
    const before = out.length;
    for (const d of p.daemons) {
      const subject = `${p.key}/${d.serviceId}`;
      if (d.callouts.some((x) => /not reporting/i.test(x))) {
        out.push(
          finding({
            severity: 'warning',
            rule: 'daemon-stale',
            subject,
            site: p.site,
            cluster: p.cluster,
            message: `rbd-mirror ${d.serviceId} on ${d.hostname ?? '?'} is registered but not reporting status (a stale registration after a restart clears in 1–2 min; otherwise the daemon is hung or gone).`,
            evidence: { daemon: d, daemonHealth: p.summary.daemonHealth, ...asOf },
            suggestedCommand: look,
          }),
        );
      } else if (d.health === 'ERROR' || (d.health === 'WARNING' && (needsDaemon(p) || d.callouts.length > 0))) {
        out.push(
          finding({
            severity: d.health === 'ERROR' ? 'error' : 'warning',
            rule: 'daemon-unhealthy',
            subject,
            site: p.site,
            cluster: p.cluster,
            message: `rbd-mirror ${d.serviceId} on ${d.hostname ?? '?'} reports ${d.health}${d.callouts.length ? `: ${d.callouts.join('; ')}` : ''}`,
            evidence: { daemon: d, ...asOf },
            suggestedCommand: look,
          }),
        );
      }
    }
    // Summary says a daemon is unwell but the last full scan's list showed none: say so for the pool.
    const dh = p.summary.daemonHealth;
    if (fromSummary && out.length === before && (dh === 'WARNING' || dh === 'ERROR') && needsDaemon(p)) {
      out.push(
        finding({
          severity: dh === 'ERROR' ? 'error' : 'warning',
          rule: 'daemon-unhealthy',
          subject: p.key,
          site: p.site,
          cluster: p.cluster,
          message: `rbd-mirror for pool ${p.key} reports ${dh} (summary refresh; run a full discovery or the command below for the daemon's callouts).`,
          evidence: { daemonHealth: dh, observedIn: 'summary refresh (pool daemon_health)', ...asOf },
          suggestedCommand: look,
        }),
      );
    }
  }
  return out;
}

export function peerRules(m: TopologyModel, byName: Map<string, ClusterNode>): Finding[] {
  const out: Finding[] = [];
  const pools = new Map(m.pools.map((p) => [p.key, p]));
  for (const p of m.pools) {
    const c = byName.get(p.cluster);
    for (const peer of p.peers) {
      if (peer.direction === 'tx-only') {
        out.push(
          finding({
            severity: 'info',
            rule: 'tx-only-peer',
            subject: `${p.key}->${peer.remoteSiteName}`,
            site: p.site,
            cluster: p.cluster,
            message: `Pool ${p.key} has a hidden tx-only peer ${peer.remoteSiteName} (registered by the other side's rbd-mirror; blocks 'mirror pool disable' until removed).`,
            evidence: { peer },
            suggestedCommand: onCluster(c, (t) => rbdMirrorPoolInfo(t, p.name), 'all peers, including tx-only'),
          }),
        );
      }
      if (!peer.remoteCluster) continue;
      const remote = pools.get(`${peer.remoteCluster}/${p.name}`);
      const rc = byName.get(peer.remoteCluster);
      if (!rc?.reachable || !remote || remote.mirrorMode === 'unknown' || p.mirrorMode === 'unknown') continue;
      if (remote.mirrorMode !== p.mirrorMode) {
        out.push(
          finding({
            severity: remote.mirrorMode === 'disabled' || p.mirrorMode === 'disabled' ? 'error' : 'warning',
            rule: 'peer-mode-mismatch',
            subject: [p.key, remote.key].sort().join('<->'),
            site: p.site,
            cluster: p.cluster,
            message: `Pool ${p.name} mirrors in mode '${p.mirrorMode}' on ${p.cluster} but '${remote.mirrorMode}' on its peer ${remote.cluster}.`,
            evidence: {
              [p.key]: { mode: p.mirrorMode, peers: p.peers },
              [remote.key]: { mode: remote.mirrorMode, peers: remote.peers },
            },
            suggestedCommand: onCluster(c, (t) => rbdMirrorPoolInfo(t, p.name), 'mirror mode and peers'),
          }),
        );
      } else if (peer.direction !== 'tx-only' && remote.peers.length === 0 && remote.mirrorMode !== 'disabled') {
        out.push(
          finding({
            severity: 'warning',
            rule: 'peer-missing',
            subject: `${remote.key}->${p.cluster}`,
            site: remote.site,
            cluster: remote.cluster,
            message: `Pool ${p.key} peers with ${remote.cluster}, but ${remote.key} lists no peer at all.`,
            evidence: { [p.key]: p.peers, [remote.key]: remote.peers },
            suggestedCommand: onCluster(rc, (t) => rbdMirrorPoolInfo(t, p.name), 'peers of the remote pool'),
          }),
        );
      }
    }
  }
  return out;
}
