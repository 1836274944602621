/**
 * Health: pure functions from a TopologyModel to findings. Deterministic for a given model and options (the
 * clock is an argument), so the same findings come out of the CLI, the console and the tests.
 */
import type { ClusterNode, TopologyModel } from '../model';
import { resolveOptions, SEVERITY_ORDER, type Finding, type HealthOptions } from './finding';
import { clusterRules, daemonRules, peerRules, siteRules } from './infra-rules';
import { imageRuleContext, imageRules, journalingRule } from './image-rules';
import {
  glanceImportRules,
  glancePlacementRule,
  glanceStoreDataRule,
  openstackReachRule,
  orphanRule,
} from './openstack-rules';

export * from './finding';

export function evaluateHealth(m: TopologyModel, options: HealthOptions): Finding[] {
  const o = resolveOptions(options);
  const byName = new Map<string, ClusterNode>(m.clusters.map((c) => [c.name, c]));
  const ctx = imageRuleContext(m, o);
  const all: Finding[] = [
    ...siteRules(m, byName),
    ...clusterRules(m),
    ...daemonRules(m, byName),
    ...peerRules(m, byName),
  ];
  for (const img of m.images) {
    all.push(...imageRules(img, ctx), ...journalingRule(img, ctx), ...orphanRule(img, ctx));
  }
  all.push(
    ...glancePlacementRule(m),
    ...glanceImportRules(m, o),
    ...glanceStoreDataRule(m, ctx),
    ...openstackReachRule(m),
  );
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of all) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    out.push(f);
  }
  return out.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.rule.localeCompare(b.rule) ||
      a.subject.localeCompare(b.subject),
  );
}

export function countBySeverity(fs: Finding[]): Record<'error' | 'warning' | 'info', number> {
  const c = { error: 0, warning: 0, info: 0 };
  for (const f of fs) c[f.severity]++;
  return c;
}
