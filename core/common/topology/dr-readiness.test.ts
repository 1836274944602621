import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseImageShow, toCinderVolume, toNovaServer } from '../parsers/index';
import { evaluateDrReadiness, renderDrReadiness } from './dr-readiness';
import { observeCluster, TWO_SITE_INVENTORY } from './fixtures.test-support';
import { buildTopology, evaluateHealth, type ClusterObservation, type OpenstackObservation } from './index';

const PAC = join(__dirname, '..', 'parsers', 'fixtures', 'pacific-16.2.15');
const OSZ = join(__dirname, '..', 'parsers', 'fixtures', 'openstack-zed');
const f = (name: string, dir = PAC): string => readFileSync(join(dir, name), 'utf8');
const json = (name: string): Record<string, unknown> => JSON.parse(f(name, OSZ)) as Record<string, unknown>;
const NOW = Date.UTC(2026, 10, 22, 2, 40, 0);
const ls = (rows: { image: string }[]): string =>
  JSON.stringify(rows.map((r) => ({ ...r, id: 'x', size: 1, format: 2 })));

/** Real 01-synced states, plus an unmirrored Cinder volume image in site-a's volumes pool. */
function clusters(
  prefix: string,
  extra: string[] = [],
  sites: ('site-a' | 'site-b')[] = ['site-a', 'site-b'],
): ClusterObservation[] {
  return sites.map((s) =>
    observeCluster(s, f(`ceph-s-${s}.json`), [
      {
        pool: 'images',
        info: f(`mirror-pool-info-images-${s}.json`),
        status: f(`${prefix}-mirror-pool-status-verbose-images-${s}.json`),
        listing: ls([{ image: 'dr-snap-p1' }]),
      },
      {
        pool: 'volumes',
        info: f(`mirror-pool-info-volumes-${s}.json`),
        status: f(`${prefix}-mirror-pool-status-verbose-volumes-${s}.json`),
        listing: ls([{ image: 'dr-journal-p1' }, ...(s === 'site-a' ? extra.map((image) => ({ image })) : [])]),
      },
    ]),
  );
}

function openstack(): OpenstackObservation {
  const img = parseImageShow(f('image-show-central-dcn0.json', OSZ));
  if (!img.ok) throw new Error('fixture');
  const centralOnly = {
    ...img.value,
    id: '11111111-2222-3333-4444-555555555555',
    name: 'only-central',
    stores: ['central'],
  };
  const volumes = [
    toCinderVolume(json('volume-show-in-use.json')),
    toCinderVolume(json('volume-show-replicated.json')),
  ].filter((v) => v !== null);
  const servers = [toNovaServer(json('server-show-with-volume.json'))].filter((s) => s !== null);
  return {
    hostId: 'ctl',
    reachable: true,
    reason: null,
    durationMs: 1,
    problems: [],
    inventory: {
      source: 'rest',
      images: [img.value, centralOnly],
      stores: [],
      volumes,
      servers,
      errors: {},
      timingsMs: {},
    },
  };
}

describe('DR readiness on real captures', () => {
  it('synced two-site Ceph only: ready, RPO per image and worst per site', () => {
    const m = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters: clusters('01-synced'),
      openstack: null,
      generatedAt: NOW,
      mode: 'full',
    });
    const r = evaluateDrReadiness(m, evaluateHealth(m, { now: NOW }));
    expect(r.drSites).toEqual(['site-b']);
    expect(r.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(r.ready).toBe(true);
    expect(r.rpo.map((x) => [x.image, x.mode, x.site])).toEqual(
      expect.arrayContaining([
        ['images/dr-snap-p1', 'snapshot', 'site-a'],
        ['volumes/dr-journal-p1', 'journal', 'site-a'],
      ]),
    );
    const snap = r.rpo.find((x) => x.image === 'images/dr-snap-p1');
    expect(snap?.seconds).toBeGreaterThan(0);
    expect(r.worstBySite['site-a']).toMatchObject({ image: 'images/dr-snap-p1', images: 2 });
    expect(renderDrReadiness(r)).toMatch(/READY/);
  });

  it('with OpenStack: unmirrored in-use volume, non-replicated type, unprotected server, Glance image not at the DR site', () => {
    const vol = 'e92fbf9f-9794-456f-b879-fc39c57b3f35';
    const m = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters: clusters('01-synced', [`volume-${vol}`]),
      openstack: openstack(),
      generatedAt: NOW,
      mode: 'full',
    });
    const r = evaluateDrReadiness(m, evaluateHealth(m, { now: NOW }));
    const by = (rule: string): string[] =>
      r.findings.filter((x) => x.rule === rule).map((x) => `${x.severity}:${x.subject}`);
    expect(r.ready).toBe(false);
    expect(by('dr-volume-not-replicated')).toEqual([`error:${vol}`]);
    expect(by('dr-server-unprotected')).toEqual(['error:d2ce92ce-21af-412c-9d2c-be2259469caf']);
    expect(by('dr-image-not-mirrored').length).toBe(1);
    expect(by('dr-image-not-mirrored')[0]).toMatch(/^error:/);
    expect(by('dr-glance-missing-at-dr')).toEqual(['warning:11111111-2222-3333-4444-555555555555']);
    expect(r.summary).toMatchObject({ volumes: 2, replicatedVolumes: 1, servers: 1, protectedServers: 0 });
  });

  it('site-a down (05) and split-brain (08): taken over from the health rules', () => {
    const down = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters: [observeCluster('site-a', null, [], 'timed out'), ...clusters('05-siteA-down', [], ['site-b'])],
      openstack: null,
      generatedAt: NOW,
      mode: 'full',
    });
    expect(evaluateDrReadiness(down, evaluateHealth(down, { now: NOW })).findings.map((x) => x.rule)).toContain(
      'site-unreachable',
    );
    const split = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters: clusters('08-split-brain'),
      openstack: null,
      generatedAt: NOW,
      mode: 'full',
    });
    const r = evaluateDrReadiness(split, evaluateHealth(split, { now: NOW }));
    expect(r.ready).toBe(false);
    expect(r.findings.map((x) => x.rule)).toContain('split-brain');
  });
});
