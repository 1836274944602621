import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRunner, ExecResult } from '../../common/ports';
import { TWO_SITE_INVENTORY } from '../../common/topology/fixtures.test-support';
import { TopologyNotReadyError, TopologyService } from './service';

const PAC = join(__dirname, '..', '..', 'common', 'parsers', 'fixtures', 'pacific-16.2.15');
const f = (n: string): string => readFileSync(join(PAC, n), 'utf8');

/** Per-site fields forced into the non-verbose summary (e.g. a stopped rbd-mirror: daemon_health UNKNOWN). */
const summaryOverride: Record<string, Record<string, unknown>> = {};

/** Answers like the lab in a given captured state; the state can change between calls. */
function runner(get: () => string, calls: string[][]): CommandRunner {
  return {
    async run(hostId, argv) {
      calls.push(argv);
      const site = hostId === 'mon-a' ? 'site-a' : 'site-b';
      const a = argv.join(' ');
      const ok = (stdout: string): ExecResult => ({
        hostId,
        argv,
        exitCode: 0,
        signal: null,
        stdout,
        stderr: '',
        durationMs: 1,
        timedOut: false,
        truncated: false,
      });
      if (hostId === 'ctl') return { ...ok(''), exitCode: 127, stderr: 'python3: not found' };
      if (a.includes(' status --format json') && argv.includes('ceph')) return ok(f(`ceph-s-${site}.json`));
      if (a.includes('osd pool ls detail'))
        return ok(
          JSON.stringify([
            { pool_id: 2, pool_name: 'images', application_metadata: { rbd: {} } },
            { pool_id: 3, pool_name: 'volumes', application_metadata: { rbd: {} } },
          ]),
        );
      if (a.includes(' df ')) return ok(f(`ceph-df-${site}.json`));
      const pool = argv.includes('images') ? 'images' : 'volumes';
      if (a.includes('mirror pool info')) return ok(f(`mirror-pool-info-${pool}-${site}.json`));
      if (a.includes('mirror pool status')) {
        const doc = f(`${get()}-mirror-pool-status-verbose-${pool}-${site}.json`);
        if (argv.includes('--verbose')) return ok(doc);
        // Without --verbose real rbd prints the summary only (no daemons, no images), as captured in the lab.
        const summary = (JSON.parse(doc) as { summary: Record<string, unknown> }).summary;
        return ok(JSON.stringify({ summary: { ...summary, ...(summaryOverride[site] ?? {}) } }));
      }
      if (a.includes(' ls -l ')) return ok('[]');
      if (a.includes(' info ')) return ok(f(`08-split-brain-rbd-info-journal-${site}.json`));
      if (a.includes('mirror image status')) return ok(f(`08-split-brain-mirror-image-status-journal-${site}.json`));
      if (a.includes('snap ls')) return ok('[]');
      return { ...ok(''), exitCode: 1, stderr: `unexpected: ${a}` };
    },
  };
}

describe('TopologyService', () => {
  it('needs a discovery before reads; summary refresh keeps images and updates pool state; image detail on demand', async () => {
    let state = '08-split-brain';
    const calls: string[][] = [];
    let now = Date.UTC(2026, 10, 22, 2, 40);
    const svc = new TopologyService({
      runner: runner(() => state, calls),
      inventory: async () => TWO_SITE_INVENTORY,
      now: () => now,
    });
    expect(() => svc.snapshot()).toThrow(TopologyNotReadyError);
    const first = await svc.discover();
    expect(first.findings.filter((x) => x.rule === 'split-brain')).toHaveLength(2);
    expect(first.model.openstack?.reachable).toBe(false);
    const images = first.model.images.length;

    state = '09-resynced-B-primary';
    now += 30_000;
    calls.length = 0;
    const second = await svc.refresh();
    // Summary pass: no verbose status, no listings, no OpenStack.
    expect(calls.some((a) => a.includes('--verbose') || a.includes('-l'))).toBe(false);
    expect(second.model.images).toHaveLength(images);
    expect(second.model.mode).toBe('full');
    expect(svc.summary().refreshedAt).toBe(now);
    expect(svc.history().length).toBeGreaterThan(0);
    // The summary has no daemon list: the full scan's is kept (dated), so no false "no daemon" on every pool.
    const daemonRules = (fs: { rule: string }[]): string[] =>
      fs.map((x) => x.rule).filter((r) => r.startsWith('daemon-'));
    expect(daemonRules(first.findings)).toEqual([]);
    expect(daemonRules(second.findings)).toEqual([]);
    expect(second.model.pools.every((p) => p.daemons.length > 0 && p.daemonsAsOf === first.model.generatedAt)).toBe(
      true,
    );
    // site-b's rbd-mirror stops: its pools' summaries say UNKNOWN → daemon-missing there, from the summary.
    summaryOverride['site-b'] = { daemon_health: 'UNKNOWN', health: 'UNKNOWN' };
    now += 5_000;
    const third = await svc.refresh();
    const missing = third.findings.filter((x) => x.rule === 'daemon-missing');
    expect(missing.map((x) => x.subject).sort()).toEqual(['site-b/images', 'site-b/volumes']);
    expect(missing[0]?.evidence).toMatchObject({ daemonHealth: 'UNKNOWN', daemons: [] });
    summaryOverride['site-b'] = { daemon_health: 'WARNING' };
    const fourth = await svc.refresh();
    expect(
      fourth.findings
        .filter((x) => x.rule === 'daemon-unhealthy')
        .map((x) => x.subject)
        .sort(),
    ).toEqual(['site-b/images', 'site-b/volumes']);
    delete summaryOverride['site-b'];
    expect(daemonRules((await svc.refresh()).findings)).toEqual([]);

    const key = first.model.images.find((i) => i.name === 'dr-journal-p1')?.key ?? '';
    calls.length = 0;
    const d = await svc.image(key);
    expect(d.sides).toHaveLength(2);
    expect(d.sides[0]?.info?.features).toContain('journaling');
    expect(d.sides[0]?.status?.globalId).toBeTruthy();
    expect(calls).toHaveLength(6);
    await expect(svc.image('nope')).rejects.toThrow(TopologyNotReadyError);
  });

  it('concurrent discoveries share one run', async () => {
    const calls: string[][] = [];
    const svc = new TopologyService({
      runner: runner(() => '01-synced', calls),
      inventory: async () => TWO_SITE_INVENTORY,
    });
    const [a, b] = await Promise.all([svc.discover(), svc.discover()]);
    expect(a).toBe(b);
  });
});

describe('TopologyService paging for the console', () => {
  it('overview has no image list; images() pages the host index; a refresh bumps the version', async () => {
    const svc = new TopologyService({
      runner: runner(() => '08-split-brain', []),
      inventory: async () => TWO_SITE_INVENTORY,
      now: () => Date.UTC(2026, 10, 22, 2, 40),
    });
    expect(() => svc.images({})).toThrow(TopologyNotReadyError);
    const snap = await svc.discover();
    const o = svc.overview();
    expect(o.model.imageCount).toBe(snap.model.images.length);
    expect('images' in o.model).toBe(false);
    expect(JSON.stringify(o.model)).not.toContain('"sides":[');
    expect(o.stateOptions.length).toBeGreaterThan(0);
    const p = svc.images({ health: 'error', limit: 1 });
    expect(p.version).toBe(o.version);
    expect(p.rows).toHaveLength(1);
    expect(p.matched).toBe(
      new Set(
        snap.findings
          .filter((f) => f.severity === 'error')
          .map((f) => f.imageKey)
          .filter(Boolean),
      ).size,
    );
    await svc.refresh();
    expect(svc.images({}).version).toBe(o.version + 1);
  });
});
