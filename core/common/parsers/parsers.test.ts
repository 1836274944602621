import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseCephDf,
  parseCephStatus,
  parseDescription,
  parseMirrorImageStatus,
  parseMirrorPoolInfo,
  parseMirrorPoolStatus,
  parseOsdPoolLsDetail,
  parseRbdInfo,
  parseRbdLsLong,
  parseJsonText,
} from './index';

const PAC = join(__dirname, 'fixtures', 'pacific-16.2.15');
const fx = (name: string, dir = PAC): string => readFileSync(join(dir, name), 'utf8');
const files = readdirSync(PAC);

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('rbd mirror pool status on every real capture', () => {
  const poolStatus = files.filter((f) => /mirror-pool-status/.test(f) && f.endsWith('.json'));
  it('has captures for states 01-13 and the bench file', () => {
    for (const p of ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '13', 'bench']) {
      expect(
        poolStatus.some((f) => f.startsWith(p)),
        p,
      ).toBe(true);
    }
  });
  it.each(poolStatus)('%s parses', (f) => {
    const v = ok(parseMirrorPoolStatus(fx(f)));
    expect(['OK', 'WARNING', 'ERROR']).toContain(v.health);
    for (const img of v.images) expect(img.name).not.toBe('');
  });
  it.each(files.filter((f) => /mirror-image-status/.test(f)))('%s parses as one image', (f) => {
    const v = ok(parseMirrorImageStatus(fx(f)));
    expect(v.globalId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads the split-brain text of both modes (08)', () => {
    const j = ok(parseMirrorPoolStatus(fx('08-split-brain-mirror-pool-status-verbose-volumes-site-a.json')));
    expect(j.images[0]?.state).toEqual({ raw: 'up+error', up: true, status: 'error' });
    expect(j.images[0]?.parsed.splitBrain).toBe(true);
    expect(j.images[0]?.peers[0]?.mirrorUuids).toEqual(['ecfb7d5b-4df7-4cb4-91cb-c19a9cb4909f']);
    const s = ok(parseMirrorPoolStatus(fx('08-split-brain-mirror-pool-status-verbose-images-site-b.json')));
    expect(s.images[0]?.peers[0]?.parsed.splitBrain).toBe(true);
    expect(s.images[0]?.peers[0]?.description).toBe('split-brain');
  });

  it('parses journal and snapshot replay JSON inside descriptions', () => {
    const j = ok(parseMirrorPoolStatus(fx('05-siteA-down-mirror-pool-status-verbose-volumes-site-b.json')));
    const r = j.images[0]?.parsed.replay;
    expect(r?.kind).toBe('journal');
    if (r?.kind === 'journal') {
      expect(r.entriesBehindPrimary).toBe(514);
      expect(r.primaryPosition).toEqual({ objectNumber: 10, tagTid: 10, entryTid: 514 });
    }
    const s = ok(parseMirrorPoolStatus(fx('02-incremental-mirror-pool-status-verbose-images-site-b.json')));
    const sr = s.images[0]?.parsed.replay;
    expect(sr?.kind).toBe('snapshot');
    if (sr?.kind === 'snapshot') {
      expect(sr.localSnapshotTimestamp).toBe(1795313928);
      expect(sr.replayState).toBe('idle');
    }
    expect(s.images[0]?.parsed.text).toBe('replaying');
  });

  it('one-way source: images without state, daemon with empty instance id (10, #11)', () => {
    const v = ok(parseMirrorPoolStatus(fx('10-mirror-pool-status-oneway-site-a.json')));
    expect(v.images).toHaveLength(3);
    expect(v.images[0]?.state).toBeNull();
    expect(v.images[0]?.peers).toEqual([]);
    expect(v.daemons[0]?.instanceId).toBeNull();
    expect(v.daemons[0]?.leader).toBe(false);
  });

  it('stale daemon after restart keeps its callout (13)', () => {
    const v = ok(parseMirrorPoolStatus(fx('13-after-full-restart-stale-daemon-mirror-pool-status-vms-site-b.json')));
    expect(v.daemons).toHaveLength(2);
    expect(v.daemons[0]?.callouts).toEqual(['not reporting status']);
    expect(v.daemons[1]?.callouts).toEqual([]);
  });

  it('the 200-image bench file', () => {
    const v = ok(parseMirrorPoolStatus(fx('bench-mirror-pool-status-verbose-200-images-site-b.json')));
    expect(v.images).toHaveLength(200);
    expect(v.images.every((i) => i.globalId !== null)).toBe(true);
  });
});

describe('newer and older shapes', () => {
  it('Squid image_states, syncing percent, sentinel seconds_until_synced, array mirror_uuids, unknown fields', () => {
    const v = ok(
      parseMirrorPoolStatus(
        fx('mirror-pool-status-verbose-image-states.json', join(__dirname, 'fixtures', 'squid-19')),
      ),
    );
    expect(v.states).toEqual({ replaying: 1, syncing: 1 });
    expect(v.images[0]?.parsed.syncPercent).toBe(42);
    const r = v.images[1]?.parsed.replay;
    expect(r?.kind === 'journal' && r.secondsUntilSynced).toBeNull();
    expect(r?.kind === 'journal' && r.entriesBehindPrimary).toBe(12);
    expect(v.images[1]?.peers[0]?.mirrorUuids).toHaveLength(1);
  });
  it('pre-Octopus text descriptions', () => {
    const v = ok(
      parseMirrorPoolStatus(
        fx('mirror-pool-status-verbose-text-description.json', join(__dirname, 'fixtures', 'pre-octopus')),
      ),
    );
    expect(v.daemonHealth).toBe('UNKNOWN');
    const r = v.images[0]?.parsed.replay;
    expect(r?.kind).toBe('journal');
    if (r?.kind === 'journal') {
      expect(r.entriesBehindPrimary).toBe(5);
      expect(r.primaryPosition?.entryTid).toBe(515);
      expect(r.nonPrimaryPosition?.entryTid).toBe(510);
    }
    expect(v.images[1]?.parsed.syncPercent).toBe(45);
  });
  it('description: sentinel, truncated JSON, plain text', () => {
    expect(
      parseDescription('replaying, {"entries_behind_primary":1,"seconds_until_synced":578712552117108736}').replay,
    ).toMatchObject({
      kind: 'journal',
      secondsUntilSynced: null,
    });
    expect(parseDescription('replaying, {"entries_behind_prim').replay).toBeNull();
    expect(parseDescription('replaying, {"entries_behind_prim').text).toBe('replaying');
    expect(parseDescription('local image is primary')).toEqual({
      text: 'local image is primary',
      replay: null,
      syncPercent: null,
      splitBrain: false,
    });
    expect(parseDescription(null).text).toBe('');
  });
});

describe('bad input never throws', () => {
  const inputs = [
    '',
    '   ',
    '{',
    '{"summary": {"health": "OK"',
    "rbd: couldn't connect to the cluster!",
    'null',
    '[]',
    '42',
    '"x"',
    '\u0000\u0001',
  ];
  const parsers = [
    parseMirrorPoolStatus,
    parseMirrorPoolInfo,
    parseRbdLsLong,
    parseRbdInfo,
    parseCephStatus,
    parseOsdPoolLsDetail,
    parseCephDf,
    parseMirrorImageStatus,
  ];
  it.each(inputs)('input %j', (input) => {
    for (const p of parsers) {
      const r = p(input);
      if (!r.ok) {
        expect(['empty', 'invalid-json', 'schema']).toContain(r.error.kind);
        expect(r.error.snippet.length).toBeLessThan(500);
      }
    }
  });
  it('truncated real output gives invalid-json with a snippet', () => {
    const text = fx('bench-mirror-pool-status-verbose-200-images-site-b.json');
    const r = parseMirrorPoolStatus(text.slice(0, 5000));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('invalid-json');
      expect(r.error.what).toBe('rbd mirror pool status');
      expect(r.error.snippet).toContain('summary');
    }
  });
  it('dead-site text output is a parse error, not a crash', () => {
    for (const f of [
      '05-rbd-dead-site-timeout-site-a.txt',
      '05-ceph-s-dead-site-site-a.txt',
      '05-rbd-dead-site-site-a.txt',
    ]) {
      const r = parseMirrorPoolStatus(fx(f));
      expect(r.ok).toBe(false);
    }
  });
  it('noise before the JSON is skipped', () => {
    expect(parseJsonText('WARNING: something\n{"mode":"image"}', 'x')).toEqual({ ok: true, value: { mode: 'image' } });
  });
  it('wrong field types degrade to null instead of failing the document', () => {
    const v = ok(
      parseMirrorPoolStatus(
        '{"summary":{"health":5,"states":"x"},"daemons":[{"service_id":1,"leader":"true","health":"OK","callouts":"one"}],"images":"nope"}',
      ),
    );
    expect(v.health).toBe('UNKNOWN');
    expect(v.daemons[0]).toMatchObject({ serviceId: '1', leader: true, callouts: ['one'] });
    expect(v.images).toEqual([]);
  });
});

describe('pool info, ls, info, ceph', () => {
  it('mirror pool info: rx-tx, tx-only (--all), disabled', () => {
    const a = ok(parseMirrorPoolInfo(fx('mirror-pool-info-images-site-a.json')));
    expect(a).toMatchObject({ mode: 'image', siteName: 'site-a', peers: [{ direction: 'rx-tx', siteName: 'site-b' }] });
    const t = ok(parseMirrorPoolInfo(fx('11-mirror-pool-info-all-source-site-a.json')));
    expect(t.peers[0]).toMatchObject({ direction: 'tx-only', clientName: null });
    expect(ok(parseMirrorPoolInfo(fx('11-mirror-pool-info-disabled-site-b.json')))).toEqual({
      mode: 'disabled',
      siteName: null,
      peers: [],
    });
    for (const f of files.filter((x) => /mirror-pool-info/.test(x))) ok(parseMirrorPoolInfo(fx(f)));
  });
  it('rbd ls -l: 200 images; snapshots folded into their image', () => {
    expect(ok(parseRbdLsLong(fx('bench-rbd-ls-l-200.json'))).images).toHaveLength(200);
    const g = ok(parseRbdLsLong(fx('rbd-ls-images-site-a.json', join(__dirname, 'fixtures', 'openstack-zed'))));
    expect(g.images).toHaveLength(1);
    expect(g.images[0]?.snapshots).toEqual([{ name: 'snap', id: 22, protected: true }]);
  });
  it('rbd ls -l: clone parent and unknown rows', () => {
    const v = ok(
      parseRbdLsLong(
        '[{"image":"c1","id":"a","size":1,"format":2,"parent":{"pool":"images","pool_namespace":"","image":"g1","snapshot":"snap"}},{"weird":1}]',
      ),
    );
    expect(v.images[0]?.parent).toEqual({ pool: 'images', namespace: null, image: 'g1', snapshot: 'snap' });
    expect(v.skippedRows).toBe(1);
  });
  it('rbd info on every capture', () => {
    for (const f of files.filter((x) => /rbd-info/.test(x))) {
      const v = ok(parseRbdInfo(fx(f)));
      expect(v.features.length).toBeGreaterThan(0);
    }
    const j = ok(parseRbdInfo(fx('08-split-brain-rbd-info-journal-site-a.json')));
    expect(j.features).toContain('journaling');
    expect(j.mirroring?.mode).toBe('journal');
  });
  it('ceph status, osd pool ls detail, df', () => {
    const s = ok(parseCephStatus(fx('ceph-s-site-a.json')));
    expect(s.fsid).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.health).toBe('HEALTH_OK');
    expect(s.release).toBe('pacific');
    expect(s.rbdMirrorDaemons).toHaveLength(1);
    const r = ok(parseCephStatus(fx('13-after-full-restart-ceph-s-site-b.json')));
    expect(r.rbdMirrorDaemons.length).toBeGreaterThanOrEqual(1);
    const pools = ok(parseOsdPoolLsDetail(fx('osd-pool-ls-detail-site-a.json')));
    expect(
      pools
        .filter((p) => p.applications.includes('rbd'))
        .map((p) => p.name)
        .sort(),
    ).toEqual(['images', 'vms', 'volumes']);
    const df = ok(parseCephDf(fx('ceph-df-site-a.json')));
    expect(df.pools.find((p) => p.name === 'images')?.objects).toBe(46);
  });
});

describe('rbd snap ls --all', () => {
  it('mirror snapshots with state and completeness', async () => {
    const { parseRbdSnapLs } = await import('./rbd');
    const v = ok(parseRbdSnapLs(fx('02-snap-ls-all-snapshot-site-b.json')));
    expect(v[0]).toMatchObject({ namespaceType: 'mirror', mirrorState: 'non-primary', complete: true });
    expect(parseRbdSnapLs('[').ok).toBe(false);
  });
});
