import { describe, expect, it } from 'vitest';
import { quoteArgv } from '../commands/quote';
import {
  attemptsFor,
  copyProbeArgv,
  emptyProgress,
  measuredProgress,
  parseCopyProbe,
  type ProbeSpec,
} from './progress';
import type { ImportTask } from './tasks';

const ID = 'be65f4c7-588d-4b5f-8867-31a651b28dab';
const ID2 = '0c2d4c4e-8f0e-4a57-9d1b-7a1b2c3d4e5f';
const RBD: ProbeSpec = {
  kind: 'rbd',
  cluster: 'site-b',
  pool: 'images',
  target: {
    sudo: false,
    conf: '/var/tmp/lab/ceph/site-b.conf',
    keyring: '/var/tmp/lab/ceph/site-b.client.admin.keyring',
  },
};
const FILE: ProbeSpec = { kind: 'file', host: 'controller', dataDir: '/var/tmp/lab/openstack/glance/dcn1' };
const MiB = 1024 * 1024;

const task = (id: string, stores: string[], status = 'processing'): ImportTask => ({
  id,
  status,
  method: 'copy-image',
  stores,
  allStoresMustSucceed: false,
  message: null,
  createdAt: '2026-12-01T18:00:00.000000',
  updatedAt: null,
});

describe('copy probe', () => {
  it('builds one python exec per store with validated ids; hostile ids are refused', () => {
    const argv = copyProbeArgv(RBD, [ID, ID2]);
    expect(argv.slice(0, 2)).toEqual(['python3', '-c']);
    const spec = JSON.parse(argv[3] ?? '') as { base: string[]; pool: string; ids: string[] };
    expect(spec.pool).toBe('images');
    expect(spec.ids).toEqual([ID, ID2]);
    expect(spec.base).toContain('--rados-osd-op-timeout');
    expect(quoteArgv(argv)).not.toContain('\n$(');
    expect(() => copyProbeArgv(RBD, ['$(reboot)'])).toThrow();
    expect(() => copyProbeArgv(RBD, ['-x'])).toThrow();
    expect(() => copyProbeArgv({ ...FILE, dataDir: 'relative/dir' }, [ID])).toThrow(/absolute/);
    expect(JSON.parse(copyProbeArgv(FILE, [ID])[3] ?? '')).toEqual({ dir: FILE.dataDir, ids: [ID] });
  });

  it('parses what rbd du / stat saw; errors and missing answers are per image, nothing guessed', () => {
    const out = JSON.stringify({
      [ID]: { exists: true, bytes: 96 * MiB, provisioned: 128 * MiB, snap: false },
      [ID2]: { exists: null, error: 'rbd du exit 110: timed out' },
    });
    const [a, b] = parseCopyProbe(out, 'dcn0', RBD, [ID, ID2]);
    expect(a).toMatchObject({ exists: true, bytes: 96 * MiB, provisioned: 128 * MiB, snap: false, error: null });
    expect(a?.source).toBe(`site-b/images/${ID} (rbd du)`);
    expect(b).toMatchObject({ exists: null, error: 'rbd du exit 110: timed out' });
    const [c] = parseCopyProbe('Traceback …', 'dcn1', FILE, [ID]);
    expect(c?.error).toMatch(/no JSON/);
    expect(c?.source).toBe(`controller:${FILE.dataDir}/${ID} (file size)`);
    const [d] = parseCopyProbe('{}', 'dcn0', RBD, [ID]);
    expect(d?.error).toBe('no answer for this image');
  });
});

describe('measured progress', () => {
  const m = (bytes: number | null, exists: boolean | null = true, snap = false) => ({
    id: ID,
    store: 'dcn0',
    exists,
    bytes,
    provisioned: null,
    snap,
    source: 'site-b/images/x (rbd du)',
    error: null,
  });
  it('percent from the bytes in the target store, never 100 before Glance lists the store', () => {
    const p = measuredProgress({
      base: null,
      measurement: m(128 * MiB),
      totalBytes: 512 * MiB,
      listed: false,
      attempt: 1,
    });
    expect(p).toMatchObject({ percent: 25, phase: 'writing', measuredBytes: 128 * MiB, attempt: 1 });
    expect(
      measuredProgress({ base: null, measurement: m(512 * MiB), totalBytes: 512 * MiB, listed: false, attempt: null })
        .percent,
    ).toBe(99);
    expect(
      measuredProgress({
        base: null,
        measurement: m(8 * MiB, true, true),
        totalBytes: 512 * MiB,
        listed: false,
        attempt: null,
      }),
    ).toMatchObject({ phase: 'finishing', percent: 99 });
    expect(
      measuredProgress({
        base: null,
        measurement: m(null, false),
        totalBytes: 512 * MiB,
        listed: false,
        attempt: null,
      }),
    ).toMatchObject({ phase: 'staging', percent: 0, measuredBytes: 0 });
    expect(
      measuredProgress({ base: null, measurement: null, totalBytes: 512 * MiB, listed: true, attempt: null }),
    ).toMatchObject({ phase: 'done', percent: 100 });
  });

  it('a failed measurement keeps the previous figures and says why', () => {
    const prev = measuredProgress({
      base: null,
      measurement: m(256 * MiB),
      totalBytes: 512 * MiB,
      listed: false,
      attempt: null,
    });
    const p = measuredProgress({
      base: prev,
      measurement: { ...m(null, null), error: 'probe on site-b-mon: connection refused' },
      totalBytes: 512 * MiB,
      listed: false,
      attempt: null,
    });
    expect(p).toMatchObject({ percent: 50, measuredBytes: 256 * MiB, measureError: /connection refused/ });
    expect(emptyProgress(10, 'starting')).toMatchObject({ percent: null, taskStatus: 'starting', attempt: null });
  });

  it('attempts: only copy-image tasks newer than the copy, for that store', () => {
    const known = new Set(['old']);
    const tasks = [task('old', ['dcn0'], 'failure'), task('t1', ['dcn0', 'dcn1'], 'failure'), task('t2', ['dcn0'])];
    expect(attemptsFor(tasks, 'dcn0', known)).toBe(2);
    expect(attemptsFor(tasks, 'dcn1', known)).toBe(1);
    expect(attemptsFor([{ ...task('g', ['dcn0']), method: 'glance-direct' }], 'dcn0', new Set())).toBe(0);
    expect(attemptsFor(null, 'dcn0', known)).toBeNull();
  });
});
