import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../../../core/common/topology/build';
import { observeCluster, TWO_SITE_INVENTORY } from '../../../../core/common/topology/fixtures.test-support';
import { evaluateHealth } from '../../../../core/common/topology/health/index';
import { overviewOf } from '../../../../core/common/topology/overview';
import { buildSiteGraph } from './site-graph';

const FIX = import.meta.glob('../../../../core/common/parsers/fixtures/pacific-16.2.15/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
});
const f = (n: string): string => {
  const text = FIX[`../../../../core/common/parsers/fixtures/pacific-16.2.15/${n}`];
  if (typeof text !== 'string') throw new Error(`no fixture ${n}`);
  return text;
};

describe('site map graph', () => {
  it('two clusters, one two-way peer edge carrying every mirrored pool, stores attached, health colours', () => {
    const clusters = (['site-a', 'site-b'] as const).map((s) =>
      observeCluster(s, f(`ceph-s-${s}.json`), [
        {
          pool: 'images',
          info: f(`mirror-pool-info-images-${s}.json`),
          status: f(`08-split-brain-mirror-pool-status-verbose-images-${s}.json`),
        },
        {
          pool: 'volumes',
          info: f(`mirror-pool-info-volumes-${s}.json`),
          status: f(`08-split-brain-mirror-pool-status-verbose-volumes-${s}.json`),
        },
      ]),
    );
    const m = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters,
      openstack: null,
      generatedAt: Date.UTC(2026, 10, 22, 2, 40),
      mode: 'full',
    });
    const g = buildSiteGraph(overviewOf(m), evaluateHealth(m, { now: m.generatedAt }));
    const peer = g.edges.find((e) => e.label !== '');
    expect(peer).toMatchObject({ forward: true, backward: true, dashed: false });
    expect(peer?.label).toBe('⇄ images,volumes');
    expect(g.nodes.find((n) => n.id === 'cluster:site-a')?.status).toBe('error');
    expect(g.nodes.filter((n) => n.kind === 'store')).toHaveLength(3);
    for (const n of g.nodes) expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
  });

  it('a tx-only peer (one-way source) draws a dashed one-way edge; a dead site is "down"', () => {
    const a = observeCluster('site-a', null, [
      {
        pool: 'vms',
        info: f('11-mirror-pool-info-all-source-site-a.json'),
        status: f('10-mirror-pool-status-oneway-site-a.json'),
      },
    ]);
    const b = observeCluster('site-b', null, [], 'timed out');
    const m = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters: [a, b],
      openstack: null,
      generatedAt: 0,
      mode: 'full',
    });
    const g = buildSiteGraph(overviewOf(m), evaluateHealth(m, { now: 0 }));
    const e = g.edges.find((x) => x.label !== '');
    expect(e?.dashed).toBe(true);
    expect(e?.forward !== e?.backward).toBe(true);
    expect(g.nodes.find((n) => n.id === 'cluster:site-b')?.status).toBe('down');
  });
});
