/** Plain-text rendering of a topology snapshot and of findings, for the CLI. */
import { quoteArgv } from '../../common/commands/quote';
import type { TopologySnapshot } from '../../common/contract/topology';
import type { Finding } from '../../common/topology/health/finding';

const arrow = (d: string): string =>
  d === 'rx-tx' ? '<->' : d === 'rx-only' ? '<--' : d === 'tx-only' ? '-->' : '?-?';

export function renderTopology(s: TopologySnapshot): string {
  const m = s.model;
  const lines: string[] = [];
  lines.push(
    `Topology (${m.mode}) at ${new Date(m.generatedAt).toISOString()} in ${(m.stats.durationMs / 1000).toFixed(2)} s: ${m.images.length} images, ${m.stats.sides} image sides`,
  );
  for (const site of m.sites) {
    lines.push(
      '',
      `site ${site.name} [${site.role}] ${site.reachable ? 'reachable' : `UNREACHABLE: ${site.reason ?? '?'}`}`,
    );
    for (const c of m.clusters.filter((x) => x.site === site.name)) {
      lines.push(
        `  cluster ${c.name} via ${c.hostId ?? '-'}: ${c.reachable ? `${c.health ?? '?'} fsid ${c.fsid ?? '?'} ${c.release ?? ''} osds ${c.osds?.up ?? '?'}/${c.osds?.total ?? '?'} up` : `unreachable (${c.reason ?? '?'})`}`,
      );
      for (const p of m.pools.filter((x) => x.cluster === c.name)) {
        const peers =
          p.peers
            .map((x) => `${arrow(x.direction)} ${x.remoteSiteName}${x.direction === 'tx-only' ? ' (tx-only)' : ''}`)
            .join(', ') || 'no peers';
        const states = p.summary
          ? Object.entries(p.summary.states)
              .map(([k, n]) => `${k}:${n}`)
              .join(' ')
          : '';
        lines.push(
          `    pool ${p.name.padEnd(12)} mode ${p.mirrorMode.padEnd(8)} ${peers}; health ${p.summary?.health ?? '?'} daemons ${p.summary?.daemonHealth ?? '?'} images ${p.imageCount ?? '?'} mirrored ${p.mirroredImageCount ?? '?'} ${states}${p.verbose && p.method ? ` via ${p.method}` : ''}${p.fallback ? ` (pool reader failed: ${p.fallback})` : ''}${p.problem ? ` PROBLEM: ${p.problem}` : ''}`,
        );
        for (const d of p.daemons)
          lines.push(
            `      rbd-mirror ${d.serviceId}${d.leader ? ' (leader)' : ''} on ${d.hostname ?? '?'}: ${d.health}${d.callouts.length ? ` — ${d.callouts.join('; ')}` : ''}`,
          );
      }
    }
  }
  const kinds = new Map<string, number>();
  for (const i of m.images) kinds.set(i.openstack.kind, (kinds.get(i.openstack.kind) ?? 0) + 1);
  lines.push('', `OpenStack objects: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  if (m.openstack) {
    const os = m.openstack;
    lines.push(
      `OpenStack via ${os.hostId ?? '-'} (${os.source ?? 'n/a'}, ${(os.durationMs / 1000).toFixed(2)} s): ${os.reachable ? `${os.images.length} images, ${os.volumes.length} volumes, ${os.servers.length} servers, stores ${os.stores.map((x) => x.id).join(',') || '-'}` : `unreachable: ${os.reason ?? '?'}`}`,
    );
    for (const [k, v] of Object.entries(os.errors)) lines.push(`  ${k}: ${v}`);
  }
  if (m.problems.length) {
    lines.push('', 'Problems during discovery:');
    for (const p of m.problems) lines.push(`  [${p.code}] ${p.subject} via ${p.hostId ?? '-'}: ${p.message}`);
  }
  lines.push(
    '',
    `Findings: ${s.counts.error} error, ${s.counts.warning} warning, ${s.counts.info} info (switchyard health for details)`,
  );
  return lines.join('\n');
}

export function renderFindings(fs: Finding[]): string {
  if (fs.length === 0) return 'No findings: everything observed is healthy.';
  const lines: string[] = [];
  for (const f of fs) {
    lines.push(`${f.severity.toUpperCase().padEnd(7)} ${f.rule}  ${f.subject}`);
    lines.push(`        ${f.message}`);
    const ev = JSON.stringify(f.evidence);
    lines.push(`        evidence: ${ev.length > 600 ? `${ev.slice(0, 600)}…` : ev}`);
    if (f.suggestedCommand)
      lines.push(`        look closer on ${f.suggestedCommand.hostId}: ${quoteArgv(f.suggestedCommand.argv)}`);
  }
  return lines.join('\n');
}
