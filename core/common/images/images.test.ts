import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quoteArgv } from '../commands/quote';
import { parseImageShow } from '../parsers/openstack';
import { buildTopology, type ClusterObservation, type OpenstackObservation } from '../topology/index';
import { observeCluster, TWO_SITE_INVENTORY } from '../topology/fixtures.test-support';
import { buildImageMatrix, filterMatrix } from './matrix';
import { detectFormat, headProbeArgv, parseHeadProbe } from './format';
import { checkOp, glanceOpArgv, parseGlanceOp, parseShowResult, restPrelude } from './glance-ops';
import { copiedBytes, copyProgressFor, toImportTasks } from './tasks';
import { dependentClones, usageRisk } from './usage';

const OSZ = join(__dirname, '..', 'parsers', 'fixtures', 'openstack-zed');
const f = (name: string): string => readFileSync(join(OSZ, name), 'utf8');
const ID = 'be65f4c7-588d-4b5f-8867-31a651b28dab';
const SERVER = '5f1d1f0e-1111-4222-8333-944455556666';

function img(name: string) {
  const r = parseImageShow(f(name));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** A server disk cloned from the image on site-b (the lab's vm layout), as `rbd ls -l` prints it. */
const vmsB = JSON.stringify([
  {
    image: `${SERVER}_disk`,
    id: 'aa11',
    size: 67108864,
    format: 2,
    parent: {
      pool: 'images',
      pool_namespace: '',
      image: ID,
      id: '1221155fe91a',
      snapshot: 'snap',
      trash: false,
      overlap: 67108864,
    },
  },
]);

function clusters(opts: { aListing?: string; bListing?: string } = {}): ClusterObservation[] {
  return [
    observeCluster('site-a', null, [{ pool: 'images', listing: opts.aListing ?? f('rbd-ls-images-site-a.json') }]),
    observeCluster('site-b', null, [
      { pool: 'images', listing: opts.bListing ?? f('rbd-ls-images-site-b.json') },
      { pool: 'vms', listing: vmsB },
    ]),
  ];
}
function os(
  images: ReturnType<typeof img>[],
  servers: OpenstackObservation['inventory'] extends infer I
    ? I extends { servers: infer S }
      ? S
      : never
    : never = [],
): OpenstackObservation {
  return {
    hostId: 'ctl',
    reachable: true,
    reason: null,
    durationMs: 1,
    problems: [],
    inventory: {
      source: 'rest',
      images,
      stores: [
        { id: 'central', description: null, isDefault: true, type: 'rbd', pool: 'images', dataDir: null },
        { id: 'dcn0', description: null, isDefault: false, type: 'rbd', pool: 'images', dataDir: null },
        { id: 'dcn1', description: null, isDefault: false, type: 'file', pool: null, dataDir: null },
      ],
      volumes: [],
      servers,
      errors: {},
      timingsMs: {},
    },
  };
}
const model = (cs: ClusterObservation[], o: OpenstackObservation) =>
  buildTopology({ inventory: TWO_SITE_INVENTORY, clusters: cs, openstack: o, generatedAt: 1, mode: 'full' });

describe('image matrix on real captures', () => {
  it('central+dcn0 present and checked against both clusters (object + protected snap), dcn1 absent file store', () => {
    const cs = clusters();
    const m = buildImageMatrix({ model: model(cs, os([img('image-show-central-dcn0.json')])), clusters: cs });
    const row = m.rows[0];
    expect(row?.cells['central']).toMatchObject({ state: 'present', data: 'ok', rbdBytes: 67108864, problem: null });
    expect(row?.cells['dcn0']).toMatchObject({ state: 'present', data: 'ok', clones: 1 });
    expect(row?.cells['dcn1']).toMatchObject({ state: 'absent', data: 'file-store' });
    expect(m.stores.find((s) => s.id === 'central')?.totals).toMatchObject({
      present: 1,
      bytes: 67108864,
      problems: 0,
    });
    expect(row?.problems).toEqual([]);
  });

  it('copy in progress: importing cell with progress from the task message', () => {
    const cs = clusters();
    const g = img('glance-api-image-get-copy-in-progress.json');
    const tasks = toImportTasks(JSON.parse(f('glance-image-tasks.json')));
    const running = tasks.map((t) =>
      t.stores.includes('dcn1') ? { ...t, status: 'processing', message: 'Copied 32 MiB' } : t,
    );
    const m = buildImageMatrix({ model: model(cs, os([g])), clusters: cs, tasks: { [g.id]: running } });
    expect(m.rows[0]?.cells['dcn1']).toMatchObject({
      state: 'importing',
      importing: true,
      progress: { copiedBytes: 32 * 1024 * 1024, percent: 50, taskStatus: 'processing' },
    });
    expect(m.stores.find((s) => s.id === 'dcn1')?.totals.importing).toBe(1);
    expect(filterMatrix(m, { importingOnly: true })).toHaveLength(1);
  });

  it('Glance says dcn0 but site-b has no object; snap missing; unprotected snap; stray data', () => {
    const noSnap = JSON.stringify(JSON.parse(f('rbd-ls-images-site-a.json')).slice(0, 1));
    const unprot = f('rbd-ls-images-site-a.json').replace('"protected": "true"', '"protected": "false"');
    for (const [a, b, expA, expB] of [
      [f('rbd-ls-images-site-a.json'), '[]', 'ok', 'no-object'],
      [noSnap, '[]', 'no-snap', 'no-object'],
      [unprot, '[]', 'snap-unprotected', 'no-object'],
    ] as const) {
      const cs = clusters({ aListing: a, bListing: b });
      const m = buildImageMatrix({ model: model(cs, os([img('image-show-central-dcn0.json')])), clusters: cs });
      expect([m.rows[0]?.cells['central']?.data, m.rows[0]?.cells['dcn0']?.data]).toEqual([expA, expB]);
      expect(m.rows[0]?.problems.length).toBeGreaterThan(0);
    }
    // After `stores-delete dcn1` Glance lists central,dcn0 only; data left on a cluster whose store is not listed = stray.
    const after = img('image-show-after-stores-delete-dcn1.json');
    const cs = clusters();
    const m = buildImageMatrix({ model: model(cs, os([{ ...after, stores: ['central'] }])), clusters: cs });
    expect(m.rows[0]?.cells['dcn0']).toMatchObject({ state: 'absent', data: 'stray' });
    expect(filterMatrix(m, { problemsOnly: true })).toHaveLength(1);
    expect(filterMatrix(m, { store: 'dcn0', states: ['present'] })).toHaveLength(0);
    expect(filterMatrix(m, { text: 'SMOKE' })).toHaveLength(1);
  });

  it('unlisted pool = unchecked, with the reason', () => {
    const cs = [
      observeCluster('site-a', null, [{ pool: 'images', listing: f('rbd-ls-images-site-a.json') }]),
      observeCluster('site-b', null, [], 'timed out'),
    ];
    const m = buildImageMatrix({ model: model(cs, os([img('image-show-central-dcn0.json')])), clusters: cs });
    expect(m.rows[0]?.cells['dcn0']?.data).toBe('unchecked');
    expect(m.problems.join('\n')).toContain('site-b/images not listed');
  });
});

describe('usage risk', () => {
  const server = (imageId: string) => ({
    id: SERVER,
    name: 'vm-b',
    status: 'ACTIVE',
    availabilityZone: 'nova',
    host: 'h',
    imageId,
    volumeIds: [],
  });
  it('a server on site-b whose image is only in central is a cross-site boot; clone links pin dcn0', () => {
    const cs = clusters();
    const onlyCentral = { ...img('image-show-central-dcn0.json'), stores: ['central'] };
    const mo = model(cs, os([onlyCentral], [server(ID)]));
    const u = usageRisk(mo, cs);
    const b = u.find((x) => x.site === 'site-b');
    expect(b?.localStores).toEqual(['dcn0', 'dcn1']);
    expect(b?.crossSite).toEqual([
      expect.objectContaining({ kind: 'server', id: SERVER, imageStores: ['central'], siteFrom: 'rbd-disk' }),
    ]);
    expect(b?.clones).toEqual([expect.objectContaining({ kind: 'server-disk', parentImage: ID, parentStore: 'dcn0' })]);
    expect(dependentClones(mo, cs, 'dcn0', ID)).toHaveLength(1);
    expect(dependentClones(mo, cs, 'central', ID)).toHaveLength(0);
    // With the image in dcn0 the same server is local.
    const u2 = usageRisk(model(cs, os([img('image-show-central-dcn0.json')], [server(ID)])), cs);
    expect(u2.find((x) => x.site === 'site-b')).toMatchObject({ crossSite: [], localUses: 1 });
  });
});

describe('format check', () => {
  it('detects qcow2 / vmdk / vhdx / raw from the first bytes', () => {
    expect(detectFormat('514649fb00000003')).toBe('qcow2');
    expect(detectFormat('4b444d5601000000')).toBe('vmdk');
    expect(detectFormat('7668647866696c65')).toBe('vhdx');
    expect(detectFormat('eb63900000000000')).toBe('raw');
    expect(detectFormat('')).toBe('unknown');
  });
  it('probe argv is one quoted program, names validated, and its output flags a mislabelled image', () => {
    const argv = headProbeArgv({ sudo: false, conf: '/etc/ceph/a.conf' }, 'images', [ID]);
    expect(argv.slice(0, 2)).toEqual(['python3', '-c']);
    expect(JSON.parse(argv[3] ?? '')).toMatchObject({ specs: [`images/${ID}@snap`] });
    expect(quoteArgv(argv)).toContain(`'python3' '-c' '`);
    expect(() => headProbeArgv({ sudo: false }, 'images', ['$(reboot)'])).toThrow(/invalid image name/);
    const out = JSON.stringify({
      [`images/${ID}@snap`]: { head: '514649fb00000003' + '0'.repeat(1008), error: null },
      'images/x@snap': { head: null, error: 'exit 2: No such file' },
    });
    const r = parseHeadProbe(out, { cluster: 'site-a', pool: 'images' }, { [ID]: 'raw', x: 'raw' });
    expect(r[ID]).toMatchObject({ detected: 'qcow2', mislabelled: true, source: `site-a/images/${ID}@snap` });
    expect(r['x']).toMatchObject({ detected: null, mislabelled: false, error: 'exit 2: No such file' });
    const cs = clusters();
    const m = buildImageMatrix({
      model: model(cs, os([img('image-show-central-dcn0.json')])),
      clusters: cs,
      formats: r,
    });
    expect(m.rows[0]?.problems.join()).toContain('declared raw but the data is qcow2');
  });
});

describe('Glance ops', () => {
  const role = { kind: 'openstack-controller' as const, openrc: '/etc/openrc' };
  it('copy-image always carries all_stores_must_succeed; ids and stores validated', () => {
    const argv = glanceOpArgv(role, { op: 'copy', id: ID, stores: ['dcn0', 'dcn1'], allStoresMustSucceed: false });
    expect(argv.slice(0, 5)).toEqual(['sh', '-c', '. "$1" || exit 97; shift; exec "$@"', 'sh', '/etc/openrc']);
    expect(JSON.parse(argv.at(-1) ?? '')).toEqual({
      op: 'copy',
      id: ID,
      stores: ['dcn0', 'dcn1'],
      allStoresMustSucceed: false,
    });
    expect(argv.join('\n')).toContain('"all_stores_must_succeed": bool(o["allStoresMustSucceed"])');
    expect(restPrelude()).toContain('def auth(');
    expect(() => checkOp({ op: 'copy', id: 'not-an-id', stores: ['dcn0'], allStoresMustSucceed: true })).toThrow(
      /not an OpenStack id/,
    );
    expect(() => checkOp({ op: 'copy', id: ID, stores: ['dcn0;rm'], allStoresMustSucceed: true })).toThrow();
    expect(() => checkOp({ op: 'copy', id: ID, stores: [], allStoresMustSucceed: true })).toThrow(/at least one/);
    expect(() =>
      checkOp({
        op: 'create-import',
        name: 'x',
        diskFormat: 'raw',
        containerFormat: 'bare',
        sourcePath: 'rel',
        stores: ['central'],
        allStoresMustSucceed: true,
      }),
    ).toThrow(/absolute/);
  });
  it('results: verbatim Glance error, show with tasks', () => {
    const err = parseGlanceOp(
      JSON.stringify({
        ok: false,
        status: 400,
        error: f('copy-image-to-existing-store.txt'),
        message: "Image is already present at store 'dcn1'",
      }),
    );
    expect(err).toMatchObject({ ok: false, status: 400 });
    expect(err.error).toContain('&#x27;dcn1&#x27;');
    expect(() => parseGlanceOp('sh: 1: python3: not found')).toThrow(/printed no JSON/);
    const show = parseShowResult(
      parseGlanceOp(
        JSON.stringify({
          ok: true,
          result: {
            [ID]: {
              image: JSON.parse(f('glance-api-image-get-copy-in-progress.json')),
              tasks: JSON.parse(f('glance-image-tasks.json')),
              status: 200,
            },
          },
        }),
      ),
    );
    expect(show[ID]?.image?.importingToStores).toEqual(['dcn1']);
    expect(show[ID]?.tasks[0]).toMatchObject({
      method: 'copy-image',
      stores: ['dcn1'],
      allStoresMustSucceed: false,
      message: 'Copied 64 MiB',
    });
  });
  it('task progress', () => {
    expect(copiedBytes('Copied 64 MiB')).toBe(64 * 1024 * 1024);
    expect(copiedBytes('Copied 1.5 GiB')).toBe(1.5 * 1024 ** 3);
    expect(copiedBytes(null)).toBeNull();
    const tasks = toImportTasks(JSON.parse(f('glance-image-tasks.json')));
    expect(copyProgressFor(tasks, 'dcn1', 67108864)).toMatchObject({ percent: 100, taskStatus: 'success' });
    expect(copyProgressFor(tasks, 'nowhere', 1)).toBeNull();
  });
});
