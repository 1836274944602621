import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMirrorPoolStatus } from './mirror-pool-status';
import { parseRbdLsLong, type RbdListedImage } from './rbd';
import { parsePoolReader } from './rbd-pool-reader';

const PAC = join(__dirname, 'fixtures', 'pacific-16.2.15');
const fx = (n: string): string => readFileSync(join(PAC, n), 'utf8');
/** What the model reads of a listed image (lockType and snapshot ids are not in the reader's rows). */
const listed = (xs: RbdListedImage[]): unknown =>
  xs.map((i) => ({ ...i, lockType: null, snapshots: i.snapshots.map((s) => s.name) }));

describe('pool reader document (lab captures, same moment as the CLI calls)', () => {
  for (const site of ['site-a', 'site-b']) {
    it(`${site}/vms: the same listing and mirror status as rbd ls -l + rbd mirror pool status --verbose`, () => {
      const py = parsePoolReader(fx(`30-reader-vms-${site}.json`));
      const st = parseMirrorPoolStatus(fx(`30-reader-vms-cli-status-${site}.json`));
      const ls = parseRbdLsLong(fx(`30-reader-vms-cli-ls-${site}.json`));
      if (!py.ok || !st.ok || !ls.ok) throw new Error('a capture did not parse');
      expect(py.value.mirrorMode).toBe('pool');
      expect(listed(py.value.listing)).toEqual(listed(ls.value.images));
      // last_update is read a few ms apart by the two processes: compare everything else.
      const noTime = (x: unknown): string =>
        JSON.stringify(x, (k, v: unknown) => (k === 'lastUpdate' ? typeof v : v));
      expect(noTime(py.value.status)).toBe(noTime(st.value));
      expect(py.value.status?.images.length).toBeGreaterThan(0);
    });
  }

  it('a clone keeps its parent spec (the reader opened it), a plain image its user snapshots only', () => {
    const r = parsePoolReader(fx('30-reader-vms-site-a.json'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.opened).toBe(1);
    const clone = r.value.listing.find((i) => i.name === 't-clone');
    expect(clone?.parent).toEqual({ pool: 'images', namespace: null, image: 't-base', snapshot: 'snap' });
    const disk = r.value.listing.find((i) => i.name === 't-disk1');
    expect(disk?.snapshots.map((s) => s.name)).toEqual(['user-snap']);
    const err = r.value.status?.images.find((i) => i.name === 't-clone');
    expect(err?.peers[0]).toMatchObject({ siteName: 'site-b', state: { up: true, status: 'error' } });
    expect(r.value.status?.daemons[0]).toMatchObject({ leader: true, health: 'OK', callouts: [] });
  });
});

describe('pool reader document: bad and odd input (hand-made shapes)', () => {
  const base = {
    v: 1,
    pool: 'p',
    mirror_mode: 'image',
    images: [['a', 'id1', 1024, null, []]],
    summary: { health: 'OK', daemon_health: 'OK', image_health: 'OK', states: {} },
    daemons: [],
    mirror: [],
  };
  it('an unknown version is refused (discovery then falls back to the CLI)', () => {
    const r = parsePoolReader(JSON.stringify({ ...base, v: 2 }));
    expect(r.ok).toBe(false);
  });
  it('truncated output is an error with a snippet, not a crash', () => {
    const r = parsePoolReader(JSON.stringify(base).slice(0, 40));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('invalid-json');
  });
  it('mirroring enabled but no summary or rows is an error', () => {
    const { summary: _s, ...rest } = base;
    expect(parsePoolReader(JSON.stringify(rest)).ok).toBe(false);
  });
  it('a disabled pool has a listing and no mirror status', () => {
    const r = parsePoolReader(JSON.stringify({ v: 1, pool: 'p', mirror_mode: 'disabled', images: base.images }));
    expect(r.ok && r.value.status === null && r.value.listing.length === 1).toBe(true);
  });
  it('unknown keys are ignored; odd rows are skipped and counted, the others kept', () => {
    const r = parsePoolReader(
      JSON.stringify({
        ...base,
        future_key: { x: 1 },
        images: [['a', 'id1', 'not a size', ['pool-only'], 'nope'], 'garbage', [42], ['b', null, 5, null, [7, 's']]],
        mirror: [['a', 'g1', 'up+replaying', null, null, null, [['site-b', 'u1', 'down+unknown', 'status not found']]], {}],
      }),
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.listing).toMatchObject([
      { name: 'a', id: 'id1', size: null, parent: null, snapshots: [] },
      { name: 'b', id: null, size: 5, snapshots: [{ name: 's' }] },
    ]);
    expect(r.value.skippedRows).toBe(3);
    expect(r.value.status?.images[0]).toMatchObject({
      name: 'a',
      globalId: 'g1',
      state: { up: true, status: 'replaying' },
      peers: [{ siteName: 'site-b', mirrorUuids: ['u1'], state: { up: false, status: 'unknown' }, lastUpdate: null }],
    });
  });
});
