import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseImageShow, parseMirrorPoolStatus } from '../parsers/index';
import {
  buildTopology,
  evaluateHealth,
  glanceMatrix,
  type ClusterObservation,
  type Finding,
  type OpenstackObservation,
  type TopologyModel,
} from './index';
import { observeCluster, TWO_SITE_INVENTORY } from './fixtures.test-support';

const PAC = join(__dirname, '..', 'parsers', 'fixtures', 'pacific-16.2.15');
const OSZ = join(__dirname, '..', 'parsers', 'fixtures', 'openstack-zed');
const f = (name: string, dir = PAC): string => readFileSync(join(dir, name), 'utf8');
const NOW = Date.UTC(2026, 10, 22, 2, 40, 0);

/** Both sites for one captured state (images = snapshot mode, volumes = journal mode). */
function state(prefix: string, sites: ('site-a' | 'site-b')[] = ['site-a', 'site-b']): ClusterObservation[] {
  return sites.map((s) =>
    observeCluster(s, f(`ceph-s-${s}.json`), [
      {
        pool: 'images',
        info: f(`mirror-pool-info-images-${s}.json`),
        status: f(`${prefix}-mirror-pool-status-verbose-images-${s}.json`),
      },
      {
        pool: 'volumes',
        info: f(`mirror-pool-info-volumes-${s}.json`),
        status: f(`${prefix}-mirror-pool-status-verbose-volumes-${s}.json`),
      },
    ]),
  );
}
function model(clusters: ClusterObservation[], openstack: OpenstackObservation | null = null): TopologyModel {
  return buildTopology({ inventory: TWO_SITE_INVENTORY, clusters, openstack, generatedAt: NOW, mode: 'full' });
}
const rules = (fs: Finding[]): string[] => fs.map((x) => `${x.severity}:${x.rule}`);

describe('model from real captures', () => {
  it('01 synced: one logical image per global id with both sides, roles, modes, no errors', () => {
    const m = model(state('01-synced'));
    expect(m.images).toHaveLength(2);
    const snap = m.images.find((i) => i.name === 'dr-snap-p1');
    expect(snap?.mode).toBe('snapshot');
    expect(snap?.sides.map((s) => [s.cluster, s.role])).toEqual([
      ['site-a', 'primary'],
      ['site-b', 'non-primary'],
    ]);
    const jr = m.images.find((i) => i.name === 'dr-journal-p1');
    expect(jr?.mode).toBe('journal');
    expect(jr?.primaries).toEqual(['site-a']);
    expect(m.pools.find((p) => p.key === 'site-a/images')?.peers[0]).toMatchObject({
      direction: 'rx-tx',
      remoteCluster: 'site-b',
    });
    const fs = evaluateHealth(m, { now: NOW });
    expect(fs.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('07 both primary → primary-both with the states as evidence', () => {
    const fs = evaluateHealth(model(state('07-both-primary')), { now: NOW });
    const both = fs.filter((x) => x.rule === 'primary-both');
    expect(both).toHaveLength(2);
    const ev = both[0]?.evidence['sides'] as { cluster: string; description: string }[];
    expect(ev.map((s) => s.description)).toEqual(['local image is primary', 'local image is primary']);
    expect(both[0]?.suggestedCommand?.argv).toContain('info');
  });

  it('08 split-brain in both modes, resync suggested on the split side', () => {
    const fs = evaluateHealth(model(state('08-split-brain')), { now: NOW });
    const sb = fs.filter((x) => x.rule === 'split-brain');
    expect(sb).toHaveLength(2);
    for (const x of sb) {
      expect(x.severity).toBe('error');
      expect(x.cluster).toBe('site-a');
      expect(x.suggestedCommand?.hostId).toBe('mon-a');
      expect(JSON.stringify(x.evidence)).toMatch(/split-brain/);
    }
    expect(rules(fs)).not.toContain('error:image-error');
    const m = model(state('08-split-brain'));
    expect(m.images.find((i) => i.name === 'dr-snap-p1')?.mode).toBe('snapshot');
    expect(m.images.find((i) => i.name === 'dr-journal-p1')?.mode).toBe('journal');
  });

  it('09 resynced: split-brain gone', () => {
    const fs = evaluateHealth(model(state('09-resynced-B-primary')), { now: NOW });
    expect(fs.filter((x) => x.rule === 'split-brain' || x.rule === 'primary-both')).toEqual([]);
  });

  it('05 site A down → partial model: site unreachable, A side seen through B as peer view', () => {
    const b = observeCluster('site-b', f('05-siteA-down-ceph-s-site-b.json'), [
      {
        pool: 'images',
        info: f('mirror-pool-info-images-site-b.json'),
        status: f('05-siteA-down-mirror-pool-status-verbose-images-site-b.json'),
      },
      {
        pool: 'volumes',
        info: f('mirror-pool-info-volumes-site-b.json'),
        status: f('05-siteA-down-mirror-pool-status-verbose-volumes-site-b.json'),
      },
    ]);
    const a = observeCluster('site-a', null, [], "rbd: couldn't connect to the cluster! (timed out after 10 s)");
    const m = model([a, b]);
    expect(m.sites.find((s) => s.name === 'site-a')).toMatchObject({ reachable: false });
    const jr = m.images.find((i) => i.name === 'dr-journal-p1');
    expect(jr?.sides.find((s) => s.cluster === 'site-a')).toMatchObject({
      source: 'peer-view',
      state: 'down+stopped',
      role: 'primary',
    });
    const fs = evaluateHealth(m, { now: NOW });
    const site = fs.find((x) => x.rule === 'site-unreachable');
    expect(site?.subject).toBe('site-a');
    expect(site?.evidence['reason']).toMatch(/couldn't connect/);
    expect(site?.suggestedCommand?.argv).toContain('--connect-timeout');
  });

  it('06 force-promoted while A is down: B is primary ("orphan (force promoting)")', () => {
    const b = observeCluster('site-b', f('06-B-force-promoted-A-down-ceph-s-site-b.json'), [
      {
        pool: 'images',
        info: f('mirror-pool-info-images-site-b.json'),
        status: f('06-B-force-promoted-A-down-mirror-pool-status-verbose-images-site-b.json'),
      },
    ]);
    const m = model([observeCluster('site-a', null, [], 'timed out'), b]);
    const img = m.images[0];
    expect(img?.sides.find((s) => s.cluster === 'site-b')?.role).toBe('primary');
    expect(evaluateHealth(m, { now: NOW }).map((x) => x.rule)).toContain('primary-both');
  });

  it('13 stale daemon after restart → daemon-stale warning with the callout', () => {
    const b = observeCluster('site-b', f('13-after-full-restart-ceph-s-site-b.json'), [
      {
        pool: 'vms',
        info: f('mirror-pool-info-vms-site-b.json'),
        status: f('13-after-full-restart-stale-daemon-mirror-pool-status-vms-site-b.json'),
      },
    ]);
    const fs = evaluateHealth(model([b]), { now: NOW });
    const stale = fs.find((x) => x.rule === 'daemon-stale');
    expect(stale?.severity).toBe('warning');
    expect(JSON.stringify(stale?.evidence)).toContain('not reporting status');
    expect(fs.find((x) => x.rule === 'daemon-missing')).toBeUndefined();
  });

  it('daemon missing: pool with a receiving peer and no daemon', () => {
    const st = JSON.parse(f('01-synced-mirror-pool-status-verbose-volumes-site-b.json')) as Record<string, unknown>;
    st['daemons'] = [];
    const b = observeCluster('site-b', null, [
      { pool: 'volumes', info: f('mirror-pool-info-volumes-site-b.json'), status: JSON.stringify(st) },
    ]);
    const fs = evaluateHealth(model([b]), { now: NOW });
    expect(fs.find((x) => x.rule === 'daemon-missing')?.severity).toBe('error');
  });

  it('one-way source (10/11): no daemon-missing, tx-only peer reported as info', () => {
    const a = observeCluster('site-a', null, [
      {
        pool: 'vms',
        info: f('11-mirror-pool-info-all-source-site-a.json'),
        status: f('10-mirror-pool-status-oneway-site-a.json'),
      },
    ]);
    const fs = evaluateHealth(model([a]), { now: NOW });
    expect(fs.find((x) => x.rule === 'daemon-missing')).toBeUndefined();
    expect(fs.find((x) => x.rule === 'daemon-unhealthy')).toBeUndefined();
    expect(fs.find((x) => x.rule === 'tx-only-peer')?.severity).toBe('info');
  });

  it('primary on neither side', () => {
    const a = JSON.parse(f('03-demoted-both-secondary-mirror-pool-status-verbose-images-site-a.json')) as {
      images: Record<string, unknown>[];
    };
    a.images[0] = { ...a.images[0], state: 'up+unknown', description: 'remote image is not primary' };
    const clusters = [
      observeCluster('site-a', null, [
        { pool: 'images', info: f('mirror-pool-info-images-site-a.json'), status: JSON.stringify(a) },
      ]),
      observeCluster('site-b', null, [
        {
          pool: 'images',
          info: f('mirror-pool-info-images-site-b.json'),
          status: f('03-demoted-both-secondary-mirror-pool-status-verbose-images-site-b.json'),
        },
      ]),
    ];
    const m = model(clusters);
    expect(evaluateHealth(m, { now: NOW }).map((x) => x.rule)).toContain('primary-none');
    // Inside the grace period a fresh image is left alone.
    const key = m.images[0]?.key ?? '';
    expect(evaluateHealth(m, { now: NOW, firstSeen: { [key]: NOW - 20_000 } }).map((x) => x.rule)).not.toContain(
      'primary-none',
    );
  });

  it('snapshot RPO from the last mirror snapshot; journal lag', () => {
    const m = model(state('02-incremental'));
    const snap = m.images.find((i) => i.mode === 'snapshot');
    const ts = 1795313928;
    expect(snap?.rpo).toMatchObject({ kind: 'snapshot', consistentAt: ts });
    const late = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters: state('02-incremental'),
      openstack: null,
      generatedAt: (ts + 2000) * 1000,
      mode: 'full',
    });
    const fs = evaluateHealth(late, { now: (ts + 2000) * 1000 });
    expect(fs.find((x) => x.rule === 'rpo-exceeded')?.severity).toBe('warning');
    const early = buildTopology({
      inventory: TWO_SITE_INVENTORY,
      clusters: state('02-incremental'),
      openstack: null,
      generatedAt: (ts + 60) * 1000,
      mode: 'full',
    });
    expect(evaluateHealth(early, { now: (ts + 60) * 1000 }).find((x) => x.rule === 'rpo-exceeded')).toBeUndefined();
    const five = model(state('05-siteA-down', ['site-b']));
    expect(five.images.find((i) => i.mode === 'journal')?.rpo).toMatchObject({ kind: 'journal', entriesBehind: 514 });
  });

  it('peer mode mismatch between the two sides of a pool', () => {
    const clusters = [
      observeCluster('site-a', null, [
        {
          pool: 'volumes',
          info: f('mirror-pool-info-volumes-site-a.json'),
          status: f('01-synced-mirror-pool-status-verbose-volumes-site-a.json'),
        },
      ]),
      observeCluster('site-b', null, [
        {
          pool: 'volumes',
          info: f('mirror-pool-info-images-site-b.json'),
          status: f('01-synced-mirror-pool-status-verbose-volumes-site-b.json'),
        },
      ]),
    ];
    const fs = evaluateHealth(model(clusters), { now: NOW });
    expect(fs.filter((x) => x.rule === 'peer-mode-mismatch')).toHaveLength(1);
  });
});

describe('clones, journaling, OpenStack pairing', () => {
  const status = (names: string[], extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      summary: { health: 'OK', daemon_health: 'OK', image_health: 'OK', states: {} },
      daemons: [{ service_id: '1', instance_id: '2', health: 'OK', leader: true }],
      images: names.map((n, i) => ({
        name: n,
        global_id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        state: 'up+stopped',
        description: 'local image is primary',
        ...extra,
      })),
    });
  const ls = (rows: Record<string, unknown>[]): string => JSON.stringify(rows);

  it('clone whose parent is not mirrored; pool-mode image without journaling', () => {
    const a = observeCluster('site-a', null, [
      {
        pool: 'images',
        info: '{"mode":"image","site_name":"site-a","peers":[]}',
        status: status([]),
        listing: ls([{ image: 'g1', id: '1', size: 1, format: 2 }]),
      },
      {
        pool: 'volumes',
        info: f('mirror-pool-info-vms-site-a.json'),
        status: status(['c1']),
        listing: ls([
          {
            image: 'c1',
            id: '2',
            size: 1,
            format: 2,
            parent: { pool: 'images', pool_namespace: '', image: 'g1', snapshot: 'snap' },
          },
          { image: 'plain', id: '3', size: 1, format: 2 },
        ]),
      },
    ]);
    const fs = evaluateHealth(model([a]), { now: NOW });
    const clone = fs.find((x) => x.rule === 'clone-parent-not-mirrored');
    expect(clone?.evidence['parent']).toEqual({ pool: 'images', image: 'g1', snapshot: 'snap' });
    const j = fs.filter((x) => x.rule === 'pool-image-without-journaling');
    expect(j.map((x) => x.subject)).toEqual(['site-a/volumes/plain']);
  });

  const volId = '21c18356-15f1-49c7-bda7-adc0c963ee81';
  const glanceId = 'be65f4c7-588d-4b5f-8867-31a651b28dab';
  function openstack(volumes: { id: string }[] = [], errors: Record<string, string> = {}): OpenstackObservation {
    const img = parseImageShow(f('image-show-central-dcn0.json', OSZ));
    if (!img.ok) throw new Error('fixture');
    return {
      hostId: 'ctl',
      reachable: true,
      reason: null,
      durationMs: 1,
      problems: [],
      inventory: {
        source: 'rest',
        images: [img.value],
        stores: [],
        volumes: volumes.map((v) => ({
          id: v.id,
          name: 'v',
          status: 'available',
          size: 1,
          type: null,
          replicationStatus: null,
          availabilityZone: null,
          host: null,
          bootable: null,
          attachedServerIds: [],
          imageId: glanceId,
        })),
        servers: [],
        errors,
        timingsMs: {},
      },
    };
  }
  const withOs = (): ClusterObservation[] => [
    observeCluster('site-a', null, [
      {
        pool: 'images',
        info: f('mirror-pool-info-images-site-a.json'),
        status: status([]),
        listing: f('rbd-ls-images-site-a.json', OSZ),
      },
      {
        pool: 'volumes',
        info: f('mirror-pool-info-volumes-site-a.json'),
        status: status([`volume-${volId}`]),
        listing: ls([{ image: `volume-${volId}`, id: '9', size: 1, format: 2 }]),
      },
    ]),
    observeCluster('site-b', null, [
      { pool: 'images', info: f('mirror-pool-info-images-site-b.json'), status: status([]), listing: ls([]) },
    ]),
  ];

  it('orphan volume- image when Cinder has no such volume; paired when it does; unknown when Cinder failed', () => {
    const orphan = model(withOs(), openstack());
    expect(orphan.images.find((i) => i.name.startsWith('volume-'))?.openstack).toMatchObject({
      kind: 'orphan',
      expected: 'cinder-volume',
      id: volId,
    });
    expect(evaluateHealth(orphan, { now: NOW }).map((x) => x.rule)).toContain('orphan-rbd-image');
    const paired = model(withOs(), openstack([{ id: volId }]));
    expect(paired.images.find((i) => i.name.startsWith('volume-'))?.openstack).toMatchObject({
      kind: 'cinder-volume',
      verified: true,
    });
    const broken = model(withOs(), openstack([], { volumes: 'HTTP 503' }));
    expect(broken.images.find((i) => i.name.startsWith('volume-'))?.openstack).toMatchObject({
      kind: 'cinder-volume',
      verified: false,
    });
    expect(evaluateHealth(broken, { now: NOW }).map((x) => x.rule)).toEqual(
      expect.arrayContaining(['openstack-unreachable']),
    );
  });

  it('Glance image paired by id; store matrix; store listed but RBD data missing; missing at a site that uses it', () => {
    const m = model(withOs(), openstack([{ id: volId }]));
    expect(m.images.find((i) => i.name === glanceId)?.openstack).toMatchObject({
      kind: 'glance-image',
      name: 'smoke-image',
    });
    const mx = glanceMatrix(m);
    expect(mx.rows[0]?.cells['central']).toEqual({ listed: true, importing: false, failed: false, rbd: 'present' });
    expect(mx.rows[0]?.cells['dcn0']).toMatchObject({ listed: true, rbd: 'missing' });
    expect(mx.rows[0]?.cells['dcn1']).toMatchObject({ listed: false, rbd: 'not-rbd' });
    expect(mx.rows[0]?.users).toBe(1);
    const fs = evaluateHealth(m, { now: NOW });
    expect(fs.find((x) => x.rule === 'glance-store-data-missing')?.subject).toBe(`${glanceId}@dcn0`);
  });

  it('failed and stuck imports', () => {
    const os = openstack();
    const inv = os.inventory;
    if (!inv?.images[0]) throw new Error('fixture');
    inv.images[0] = {
      ...inv.images[0],
      failedImportStores: ['dcn1'],
      importingToStores: ['dcn0'],
      updatedAt: '2026-11-22T00:00:00Z',
    };
    const fs = evaluateHealth(model(withOs(), os), { now: NOW });
    expect(fs.find((x) => x.rule === 'glance-import-failed')?.evidence['os_glance_failed_import']).toEqual(['dcn1']);
    expect(fs.find((x) => x.rule === 'glance-import-stuck')?.severity).toBe('warning');
  });
});

describe('bulk shape', () => {
  it('the 200-image bench capture builds 200 images in one pool', () => {
    const st = parseMirrorPoolStatus(f('bench-mirror-pool-status-verbose-200-images-site-b.json'));
    expect(st.ok).toBe(true);
    const b = observeCluster('site-b', null, [
      {
        pool: 'volumes',
        info: f('mirror-pool-info-volumes-site-b.json'),
        status: f('bench-mirror-pool-status-verbose-200-images-site-b.json'),
        listing: f('bench-rbd-ls-l-200.json'),
      },
    ]);
    const m = model([b]);
    expect(m.images.length).toBeGreaterThanOrEqual(200);
    expect(m.images.filter((i) => i.sides[0]?.mirrored)).toHaveLength(200);
  });
});
