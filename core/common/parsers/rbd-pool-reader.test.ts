import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMirrorPoolStatus } from './mirror-pool-status';
import { parseRbdLsLong, type RbdListedImage } from './rbd';
import { parsePoolReader, PoolReaderParser } from './rbd-pool-reader';

const PAC = join(__dirname, 'fixtures', 'pacific-16.2.15');
const fx = (n: string): string => readFileSync(join(PAC, n), 'utf8');
/** What the model reads of a listed image (lockType and snapshot ids are not in the reader's rows). */
const listed = (xs: RbdListedImage[]): unknown =>
  xs.map((i) => ({ ...i, lockType: null, snapshots: i.snapshots.map((s) => s.name) }));

// Lab captures of vms (reader and CLI a few seconds apart) with the pool's 4000 seeded swy-bulk-* rows taken out of
// all three the same way (grep -v / jq select): plain layering images, unmirrored in this pool-mode pool.
describe('pool reader document (lab captures, same moment as the CLI calls)', () => {
  for (const site of ['site-a', 'site-b']) {
    it(`${site}/vms: the same listing and mirror status as rbd ls -l + rbd mirror pool status --verbose`, () => {
      const py = parsePoolReader(fx(`30-reader-vms-${site}.jsonl`));
      const st = parseMirrorPoolStatus(fx(`30-reader-vms-cli-status-${site}.json`));
      const ls = parseRbdLsLong(fx(`30-reader-vms-cli-ls-${site}.json`));
      if (!py.ok || !st.ok || !ls.ok) throw new Error('a capture did not parse');
      expect(py.value.mirrorMode).toBe('pool');
      expect(listed(py.value.listing)).toEqual(listed(ls.value.images));
      // last_update is read a few ms apart by the two processes: compare everything else.
      const noTime = (x: unknown): string => JSON.stringify(x, (k, v: unknown) => (k === 'lastUpdate' ? typeof v : v));
      expect(noTime(py.value.status)).toBe(noTime(st.value));
      expect(py.value.status?.images.length).toBeGreaterThan(0);
    });
  }

  it('a clone keeps its parent spec (the reader opened it), a plain image its user snapshots only', () => {
    const r = parsePoolReader(fx('30-reader-vms-site-a.jsonl'));
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
  const head = { v: 1, pool: 'p', mirror_mode: 'image' };
  const end = {
    end: 1,
    opened: 0,
    summary: { health: 'OK', daemon_health: 'OK', image_health: 'OK', states: {} },
    daemons: [],
  };
  const doc = (...lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n');
  const img = ['i', 'a', 'id1', 1024, null, []];
  it('an unknown version is refused (discovery then falls back to the CLI)', () => {
    expect(parsePoolReader(doc({ ...head, v: 2 }, img, end)).ok).toBe(false);
  });
  it('cut-off output (no trailer, or half a line) is an error, not a partial pool', () => {
    const r = parsePoolReader(doc(head, img));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/cut off/);
    expect(parsePoolReader(doc(head, img, end).slice(0, -10)).ok).toBe(false);
    expect(parsePoolReader('').ok).toBe(false);
    expect(parsePoolReader('Traceback (most recent call last):').ok).toBe(false);
  });
  it('mirroring enabled but no summary is an error', () => {
    const { summary: _s, ...rest } = end;
    expect(parsePoolReader(doc(head, img, rest)).ok).toBe(false);
  });
  it('a disabled pool has a listing and no mirror status', () => {
    const r = parsePoolReader(doc({ ...head, mirror_mode: 'disabled' }, img, { end: 1, opened: 0 }));
    expect(r.ok && r.value.status === null && r.value.listing.length === 1).toBe(true);
  });
  it('chunks split anywhere give the same result as the whole text', () => {
    const text = fx('30-reader-vms-site-a.jsonl');
    const p = new PoolReaderParser();
    for (let i = 0; i < text.length; i += 7) p.push(text.slice(i, i + 7));
    expect(JSON.stringify(p.finish())).toBe(JSON.stringify(parsePoolReader(text)));
  });
  it('unknown keys are ignored; odd rows are skipped and counted, the others kept', () => {
    const r = parsePoolReader(
      [
        JSON.stringify({ ...head, future_key: { x: 1 } }),
        JSON.stringify(['i', 'a', 'id1', 'not a size', ['pool-only'], 'nope']),
        'garbage',
        JSON.stringify(['i', 42]),
        JSON.stringify(['x', 'future row kind']),
        JSON.stringify(['i', 'b', null, 5, null, [7, 's']]),
        JSON.stringify([
          'm',
          'a',
          'g1',
          'up+replaying',
          null,
          null,
          null,
          [['site-b', 'u1', 'down+unknown', 'status not found']],
        ]),
        JSON.stringify({ ...end, more: true }),
      ].join('\n'),
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
