import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTopology, evaluateHealth, type ImageNode, type TopologyModel } from './index';
import { observeCluster, TWO_SITE_INVENTORY } from './fixtures.test-support';
import { ImageIndex, MAX_PAGE, type ImageRow } from './image-index';
import { overviewOf } from './overview';

const PAC = join(__dirname, '..', 'parsers', 'fixtures', 'pacific-16.2.15');
const f = (name: string): string => readFileSync(join(PAC, name), 'utf8');
const NOW = Date.UTC(2026, 10, 22, 2, 40, 0);

/** The captured split-brain state of the lab (both sites, both pools). */
function splitBrain(): TopologyModel {
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
  return buildTopology({ inventory: TWO_SITE_INVENTORY, clusters, openstack: null, generatedAt: NOW, mode: 'full' });
}

/** `n` copies of the captured images under distinct names and keys: a big table with real side shapes. */
function scaled(m: TopologyModel, n: number): TopologyModel {
  const images: ImageNode[] = [];
  for (let k = 0; k < n; k++) {
    const src = m.images[k % m.images.length] as ImageNode;
    const name = `${src.name}-${String(k).padStart(5, '0')}`;
    images.push({ ...src, key: `${src.key}-${k}`, name });
  }
  return { ...m, images };
}

const names = (rows: ImageRow[]): string[] => rows.map((r) => r.name);

describe('ImageIndex (host-side paging, filter and sort of the image table)', () => {
  it('rows carry what the table shows; the split-brained images sort first (worst health), state options', () => {
    const m = splitBrain();
    const findings = evaluateHealth(m, { now: NOW });
    const idx = new ImageIndex(m, findings, 7);
    const p = idx.query();
    expect(p).toMatchObject({ version: 7, total: m.images.length, matched: m.images.length, offset: 0 });
    expect(p.rows[0]?.worst).toBe('error');
    const split = findings.filter((x) => x.rule === 'split-brain').map((x) => x.imageKey);
    expect(split.length).toBeGreaterThan(0);
    expect(split).toContain(p.rows[0]?.key);
    const row = p.rows.find((r) => r.name === 'dr-journal-p1');
    expect(row).toMatchObject({ pool: 'volumes', mode: 'journal', sites: 'site-a,site-b' });
    expect(row?.states).toMatch(/site-a:\S+ site-b:\S+/);
    expect(idx.stateOptions.length).toBeGreaterThan(0);
    expect(idx.stateOptions).toEqual([...idx.stateOptions].sort());
  });

  it('filters by text (case-insensitive, also global id and state), health, state, site and kind', () => {
    const m = splitBrain();
    const idx = new ImageIndex(m, evaluateHealth(m, { now: NOW }), 1);
    expect(names(idx.query({ text: '  DR-JOURNAL-P1 ' }).rows)).toEqual(['dr-journal-p1']);
    const gid = m.images.find((i) => i.name === 'dr-snap-p1')?.globalId ?? '';
    expect(gid).not.toBe('');
    expect(names(idx.query({ text: gid }).rows)).toEqual(['dr-snap-p1']);
    const errors = idx.query({ health: 'error' });
    expect(errors.matched).toBeGreaterThan(0);
    expect(errors.rows.every((r) => r.worst === 'error')).toBe(true);
    expect(idx.query({ health: 'error' }).matched + idx.query({ health: 'ok' }).matched).toBeLessThanOrEqual(
      m.images.length,
    );
    const st = idx.stateOptions[0] ?? '';
    expect(idx.query({ state: st }).rows.every((r) => r.states.includes(st))).toBe(true);
    expect(idx.query({ site: 'site-b' }).matched).toBe(
      m.images.filter((i) => i.sides.some((s) => s.site === 'site-b')).length,
    );
    expect(idx.query({ site: 'site-c' }).matched).toBe(0);
    expect(idx.query({ kind: 'cinder-volume' }).matched).toBe(
      m.images.filter((i) => i.openstack.kind === 'cinder-volume').length,
    );
    expect(idx.query({ text: 'no such image anywhere' })).toMatchObject({ matched: 0, rows: [] });
  });

  it('pages through 5 000 rows: the pages put together are the whole sorted, filtered list, in both directions', () => {
    const base = splitBrain();
    const m = scaled(base, 5_000);
    const idx = new ImageIndex(m, [], 3);
    const all: ImageRow[] = [];
    for (let off = 0; ; off += 700) {
      const p = idx.query({ sort: 'name', asc: true, offset: off, limit: 700, text: 'dr-' });
      all.push(...p.rows);
      if (off + 700 >= p.matched) break;
    }
    const want = m.images
      .filter((i) => i.name.includes('dr-'))
      .map((i) => i.name)
      .sort();
    expect(names(all)).toEqual(want);
    const desc = idx.query({ sort: 'name', asc: false, limit: 3 });
    expect(names(desc.rows)).toEqual([...m.images.map((i) => i.name)].sort().reverse().slice(0, 3));
    // An offset past the end gives an empty page with the true count, a huge limit is capped.
    expect(idx.query({ offset: 10_000_000 })).toMatchObject({ matched: 5_000, offset: 5_000, rows: [] });
    expect(idx.query({ limit: 1_000_000 }).rows).toHaveLength(MAX_PAGE);
  });

  it('a refresh with the same images gives the same rows, and re-sorts when a health changes', () => {
    const m = splitBrain();
    const findings = evaluateHealth(m, { now: NOW });
    const a = new ImageIndex(m, findings, 1);
    const same = new ImageIndex(m, findings, 2, a);
    expect(same.query({ limit: MAX_PAGE }).rows).toEqual(a.query({ limit: MAX_PAGE }).rows);
    expect(same.query().version).toBe(2);
    // The split-brain repaired: no finding left, every row back to ok, and the health order follows.
    const healed = new ImageIndex(m, [], 3, a);
    expect(healed.query({ limit: MAX_PAGE }).rows.every((r) => r.worst === 'ok')).toBe(true);
    expect(healed.query({ health: 'error' }).matched).toBe(0);
    expect(a.query({ health: 'error' }).matched).toBeGreaterThan(0);
    expect(names(healed.query().rows)).toEqual([...m.images.map((i) => i.name)].sort());
    // A new discovery (another image list) is a full rebuild.
    const other = scaled(m, 10);
    expect(new ImageIndex(other, [], 4, a).query().matched).toBe(10);
  });

  it('the overview drops the per-image and per-OpenStack-object lists but keeps their counts', () => {
    const m = splitBrain();
    const withOs: TopologyModel = {
      ...m,
      openstack: {
        hostId: 'ctl',
        reachable: true,
        reason: null,
        source: 'rest',
        errors: {},
        images: [],
        volumes: [],
        servers: [],
        stores: [],
        durationMs: 1,
      },
    };
    const o = overviewOf(withOs);
    expect(o.imageCount).toBe(m.images.length);
    expect('images' in o).toBe(false);
    expect(o.openstack?.counts).toEqual({ images: 0, volumes: 0, servers: 0 });
    expect(o.openstack && 'volumes' in o.openstack).toBe(false);
    expect(o.pools).toEqual(m.pools);
  });
});
