import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRunner, ExecOptions, ExecResult } from '../../common/ports';
import { evaluateHealth } from '../../common/topology/health/index';
import { TWO_SITE_INVENTORY } from '../../common/topology/fixtures.test-support';
import { discover, discoverRaw } from './discover';

const PAC = join(__dirname, '..', '..', 'common', 'parsers', 'fixtures', 'pacific-16.2.15');
const OSZ = join(__dirname, '..', '..', 'common', 'parsers', 'fixtures', 'openstack-zed');
const f = (n: string, d = PAC): string => readFileSync(join(d, n), 'utf8');

interface Call {
  hostId: string;
  argv: string[];
  options?: ExecOptions;
}

/** Serves captured outputs by argv, like a cluster would; `dead` hosts answer like a dead cluster does. */
class FixtureRunner implements CommandRunner {
  calls: Call[] = [];
  constructor(
    private readonly state: string,
    private readonly dead: Set<string> = new Set(),
    private readonly sshDown: Set<string> = new Set(),
    /** How the pool reader (python3-rbd) answers: missing module, a lab capture, or a cluster timeout. */
    private readonly py: 'missing' | 'capture' | 'timeout' = 'missing',
  ) {}
  async run(hostId: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ hostId, argv, ...(options ? { options } : {}) });
    if (this.sshDown.has(hostId))
      throw Object.assign(new Error(`${hostId}: unreachable (ECONNREFUSED)`), { code: 'unreachable' });
    const site = hostId === 'mon-a' ? 'site-a' : 'site-b';
    const res = (stdout: string, exitCode = 0, stderr = ''): ExecResult => ({
      hostId,
      argv,
      exitCode,
      signal: null,
      stdout,
      stderr,
      durationMs: 5,
      timedOut: false,
      truncated: false,
    });
    if (this.dead.has(hostId)) {
      return argv.includes('ceph') ? res('', 1, 'timed out\n') : res('', 110, f('05-rbd-dead-site-timeout-site-a.txt'));
    }
    if (hostId !== 'ctl' && argv.includes('python3')) {
      // The lab capture for vms; the other pools as empty, unmirrored ones.
      if (this.py === 'capture')
        return argv.at(-2) === 'vms'
          ? res(f(`30-reader-vms-${site}.jsonl`))
          : res(`${JSON.stringify({ v: 1, pool: argv.at(-2), mirror_mode: 'disabled' })}\n{"end":1,"opened":0}\n`);
      if (this.py === 'timeout')
        return res('', 1, 'rados.TimedOut: [errno 110] RADOS timed out (error connecting to the cluster)\n');
      return res('', 1, "Traceback (most recent call last):\nModuleNotFoundError: No module named 'rados'\n");
    }
    const a = argv.join(' ');
    if (hostId === 'ctl') {
      const img = JSON.parse(f('glance-api-image-get.json', OSZ)) as unknown;
      return res(
        JSON.stringify({
          source: 'rest',
          images: [img],
          stores: JSON.parse(f('glance-info-stores-detail.json', OSZ)).stores,
          volumes: [],
          servers: [],
          errors: {},
          timingsMs: { images: 20 },
        }),
      );
    }
    if (a.includes(' status --format json')) return res(f(`ceph-s-${site}.json`));
    if (a.includes('osd pool ls detail')) return res(f(`osd-pool-ls-detail-${site}.json`));
    if (a.includes(' df ')) return res(f(`ceph-df-${site}.json`));
    const pool = ['images', 'volumes', 'vms'].find((p) => argv.includes(p)) ?? '';
    if (a.includes('mirror pool info')) return res(f(`mirror-pool-info-${pool}-${site}.json`));
    if (a.includes('mirror pool status')) {
      if (pool === 'vms') return res('', 2, 'rbd: mirroring not enabled on the pool');
      return res(f(`${this.state}-mirror-pool-status-verbose-${pool}-${site}.json`));
    }
    if (a.includes(' ls -l ')) return res(pool === 'volumes' ? f(`rbd-ls-l-volumes-${site}.json`) : '[]');
    return res('', 1, `unexpected ${a}`);
  }
}

const inventory = TWO_SITE_INVENTORY;

describe('discover over a CommandRunner', () => {
  it('bulk calls only: a fixed number per (site, pool), every Ceph call with timeouts', async () => {
    const r = new FixtureRunner('08-split-brain');
    const m = await discover({ runner: r, inventory, cephMethod: 'cli', now: () => Date.UTC(2026, 10, 22, 2, 40) });
    // 3 per cluster + 3 per pool (3 rbd pools) × 2 clusters + 1 OpenStack exec.
    expect(r.calls).toHaveLength(2 * (3 + 3 * 3) + 1);
    for (const c of r.calls.filter((x) => x.hostId !== 'ctl')) {
      expect(c.argv).toContain('--rados-mon-op-timeout');
      expect(c.argv).toContain('--client-mount-timeout');
      expect(c.argv.includes('--format')).toBe(true);
      if (c.argv[0] === 'ceph') expect(c.argv).toContain('--connect-timeout');
    }
    expect(m.sites.every((s) => s.reachable)).toBe(true);
    expect(m.images.map((i) => i.name)).toEqual(expect.arrayContaining(['dr-journal-p1', 'dr-snap-p1']));
    expect(m.images.find((i) => i.name === 'dr-journal-p1')?.sides).toHaveLength(2);
    expect(m.openstack?.source).toBe('rest');
    const fs = evaluateHealth(m, { now: Date.UTC(2026, 10, 22, 2, 40) });
    expect(fs.filter((x) => x.rule === 'split-brain')).toHaveLength(2);
    // vms has mirroring data but the status call failed: reported, not thrown.
    expect(m.problems.some((p) => p.subject === 'site-a/vms' && p.code === 'command-failed')).toBe(true);
  });

  it('a dead cluster gives a partial model with the reason, and its calls stop at ceph status', async () => {
    const r = new FixtureRunner('05-siteA-down', new Set(['mon-a']));
    const { model } = await discoverRaw({ runner: r, inventory, openstack: 'off' });
    const a = model.sites.find((s) => s.name === 'site-a');
    expect(a?.reachable).toBe(false);
    expect(a?.reason).toMatch(/timed out/);
    expect(r.calls.filter((c) => c.hostId === 'mon-a')).toHaveLength(3);
    expect(model.images.find((i) => i.name === 'dr-journal-p1')?.sides.map((s) => `${s.cluster}:${s.source}`)).toEqual([
      'site-b:local',
      'site-a:peer-view',
    ]);
  });

  it('SSH down: unreachable, no throw; summary mode skips listings', async () => {
    const r = new FixtureRunner('01-synced', new Set(), new Set(['mon-b', 'ctl']));
    const m = await discover({ runner: r, inventory, mode: 'summary' });
    expect(m.sites.find((s) => s.name === 'site-b')).toMatchObject({ reachable: false });
    expect(m.clusters.find((c) => c.name === 'site-b')?.reason).toMatch(/ECONNREFUSED/);
    expect(m.images).toEqual([]);
    expect(r.calls.some((c) => c.argv.includes('--verbose') || c.argv.includes('-l'))).toBe(false);
    expect(m.pools.find((p) => p.key === 'site-a/volumes')?.summary?.health).toBe('OK');
  });
});

describe('pool reader first, CLI bulk calls as fallback', () => {
  const isPy = (c: Call): boolean => c.hostId !== 'ctl' && c.argv.includes('python3');
  const isCliBulk = (c: Call): boolean => c.argv.includes('--verbose') || c.argv.includes('-l');

  it('auto, python3-rbd missing: the CLI calls serve every pool, the reason is kept, the model is the same', async () => {
    const now = (): number => Date.UTC(2026, 10, 22, 2, 40);
    const r = new FixtureRunner('08-split-brain');
    const m = await discover({ runner: r, inventory, now });
    const cli = await discover({ runner: new FixtureRunner('08-split-brain'), inventory, cephMethod: 'cli', now });
    // One more call per pool: the reader, then the two CLI bulk calls.
    expect(r.calls).toHaveLength(2 * (3 + 3 * 4) + 1);
    for (const p of m.pools) expect(p).toMatchObject({ method: 'cli', fallback: expect.stringMatching(/rados/) });
    expect(m.problems.some((p) => /rados/.test(p.message))).toBe(false);
    expect(JSON.stringify(m.images)).toBe(JSON.stringify(cli.images));
  });

  it('auto, reader answers: two calls per pool (info + reader), no image-opening call; timeouts in its argv', async () => {
    const r = new FixtureRunner('01-synced', new Set(), new Set(), 'capture');
    const m = await discover({ runner: r, inventory, openstack: 'off' });
    expect(r.calls.filter(isCliBulk)).toHaveLength(0);
    const py = r.calls.filter(isPy);
    expect(py).toHaveLength(2 * 3);
    for (const c of py) {
      // conf, client, keyring, timeout (10 s: mount, mon-op and osd-op timeouts set by the program), pool, window
      expect(c.argv.slice(-6, -3)).toHaveLength(3);
      expect(c.argv.at(-3)).toBe('10');
      const program = c.argv[c.argv.indexOf('-c') + 1] ?? '';
      for (const k of ['client_mount_timeout', 'rados_mon_op_timeout', 'rados_osd_op_timeout'])
        expect(program).toContain(`"${k}": tmo`);
    }
    expect(m.pools.every((p) => p.method === 'py' && p.fallback === null)).toBe(true);
    const disk = m.images.find((i) => i.name === 't-disk1');
    expect(disk?.sides.map((s) => `${s.cluster}:${s.status ?? ''}`).sort()).toEqual([
      'site-a:stopped',
      'site-b:replaying',
    ]);
    expect(disk?.sides.find((s) => s.cluster === 'site-a')?.snapshotCount).toBe(1);
    expect(m.images.find((i) => i.name === 't-clone')?.sides[0]?.parent).toEqual({
      pool: 'images',
      image: 't-base',
      snapshot: 'snap',
    });
  });

  it('forced py: a missing module is a problem, and no CLI bulk call is made', async () => {
    const r = new FixtureRunner('01-synced');
    const m = await discover({ runner: r, inventory, openstack: 'off', cephMethod: 'py' });
    expect(r.calls.filter(isCliBulk)).toHaveLength(0);
    expect(m.problems.filter((p) => p.scope === 'pool' && /rados/.test(p.message))).toHaveLength(6);
  });

  it('a cluster timeout in the reader is not retried through the CLI (it would time out the same way)', async () => {
    const r = new FixtureRunner('01-synced', new Set(), new Set(), 'timeout');
    const m = await discover({ runner: r, inventory, openstack: 'off' });
    expect(r.calls.filter(isCliBulk)).toHaveLength(0);
    expect(m.problems.filter((p) => p.code === 'unreachable' && p.scope === 'pool')).toHaveLength(6);
  });
});
