import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Clock, CommandRunner, ExecOptions, ExecResult } from '../../common/ports';
import { defineWizard, planWizard } from '../../common/wizard/define';
import { WizardEngine, type EngineDeps } from '../../common/wizard/engine';
import { WizardInputError } from '../../common/wizard/errors';
import { reconstruct } from '../../common/wizard/journal';
import { renderHtml, renderMarkdown, computeTimings } from '../../common/wizard/report';
import type { Inventory } from '../../common/inventory/schema';
import { FileJournal, listRuns, loadRun, newRunId } from './journal-store';

// base64 of {"fsid":"fake","key":"AQBsecretKey=="}: like a bootstrap token, it carries a key.
const TOKEN = 'eyJmc2lkIjoiZmFrZSIsImtleSI6IkFRQnNlY3JldEtleT09In0=';
/** A real-shaped cephx key, as `rbd mirror pool info --all` prints for an rx peer. */
const CEPHX = Buffer.concat([Buffer.from([1, 0]), randomBytes(26)]).toString('base64');

/** An in-process world the fake runner changes; verify steps observe it through commands too. */
class World {
  files = new Set<string>();
  peers: string[] = [];
  promoteBusyLeft = 0;
  primary = false;
  replayed = 0;
  calls: { host: string; argv: string[]; stdin?: string }[] = [];
  /** Make the next matching command "happen" but then throw like a dropped connection. */
  dropAfter: string | undefined;
}

function result(host: string, argv: string[], exitCode: number, stdout = '', stderr = ''): ExecResult {
  return {
    hostId: host,
    argv,
    exitCode,
    signal: null,
    stdout,
    stderr,
    durationMs: 1,
    timedOut: false,
    truncated: false,
  };
}

class FakeRunner implements CommandRunner {
  constructor(private w: World) {}
  run(host: string, argv: string[], o?: ExecOptions): Promise<ExecResult> {
    this.w.calls.push({ host, argv, ...(o?.stdin !== undefined ? { stdin: o.stdin } : {}) });
    const [cmd, a1] = argv;
    let r: ExecResult;
    switch (cmd) {
      case 'touch':
        this.w.files.add(a1 ?? '');
        r = result(host, argv, 0);
        break;
      case 'test-e':
        r = result(host, argv, this.w.files.has(a1 ?? '') ? 0 : 1);
        break;
      case 'bootstrap-create':
        r = result(host, argv, 0, `${TOKEN}\n`);
        break;
      case 'bootstrap-import':
        if (o?.stdin?.trim() !== TOKEN) r = result(host, argv, 22, '', 'bad token');
        else {
          this.w.peers.push('peer-1');
          r = result(host, argv, 0);
        }
        break;
      case 'peers':
        r = result(host, argv, 0, JSON.stringify(this.w.peers));
        break;
      case 'peer-info':
        r = result(host, argv, 0, JSON.stringify({ peers: [{ key: CEPHX, token_key: 'AQBsecretKey==' }] }));
        break;
      case 'promote':
        if (this.w.promoteBusyLeft > 0) {
          this.w.promoteBusyLeft--;
          r = result(host, argv, 16, '', 'rbd: failed to promote image: (16) Device or resource busy');
        } else {
          this.w.primary = true;
          r = result(host, argv, 0, 'Promoted 3 mirrored images');
        }
        break;
      case 'is-primary':
        r = result(host, argv, 0, this.w.primary ? 'true' : 'false');
        break;
      case 'status':
        this.w.replayed = Math.min(4, this.w.replayed + 1);
        r = result(host, argv, 0, String(this.w.replayed));
        break;
      case 'rm':
        this.w.files.delete(a1 ?? '');
        r = result(host, argv, 0);
        break;
      default:
        r = result(host, argv, 127, '', `unknown ${cmd}`);
    }
    if (this.w.dropAfter && argv.join(' ') === this.w.dropAfter) {
      this.w.dropAfter = undefined;
      return Promise.reject(new Error('ssh: connection reset'));
    }
    return Promise.resolve(r);
  }
}

class FakeClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    return Promise.resolve();
  }
}

const paramsSchema = z.object({ site: z.string(), file: z.string() });
type Params = z.infer<typeof paramsSchema>;

const wizard = defineWizard<Params>({
  id: 'test-wizard',
  title: 'Test wizard',
  description: 'engine test',
  params: paramsSchema,
  phases: ['prep', 'cut', 'done'],
  downtime: { from: 'cut', to: 'done' },
  steps: [
    {
      id: 'create-file',
      title: 'Create the file',
      phase: 'prep',
      risk: 'change',
      plan: ({ params }) => [{ host: 'h1', argv: ['touch', params.file] }],
      preconditions: async (ctx) => {
        const r = await ctx.run('h1', ['test-e', 'nothing'], { purpose: 'precondition' });
        return [{ name: 'probe', ok: r.exitCode === 1, evidence: `exit ${r.exitCode}` }];
      },
      verify: async (ctx) => {
        const r = await ctx.run('h1', ['test-e', ctx.params.file], { purpose: 'verify' });
        return { ok: r.exitCode === 0, evidence: `test -e exit ${r.exitCode}` };
      },
    },
    {
      id: 'peer',
      title: 'Bootstrap peer with a token',
      phase: 'prep',
      risk: 'change',
      plan: () => [
        { host: 'src', argv: ['bootstrap-create'], captureSecret: 'token' },
        { host: 'dst', argv: ['bootstrap-import', '/dev/stdin'], stdinSecret: 'token' },
      ],
      verify: async (ctx) => {
        await ctx.run('dst', ['peer-info'], { purpose: 'verify' });
        const r = await ctx.run('dst', ['peers'], { purpose: 'verify' });
        const peers = JSON.parse(r.stdout) as string[];
        return { ok: peers.length >= 1, evidence: `peers: ${r.stdout}`, facts: { peers } };
      },
    },
    {
      id: 'wait-replay',
      title: 'Wait for replay',
      phase: 'prep',
      risk: 'read',
      plan: () => [],
      wait: {
        intervalMs: 10_000,
        timeoutMs: 600_000,
        poll: async (ctx) => {
          const r = await ctx.run('dst', ['status'], { purpose: 'poll' });
          const n = Number(r.stdout);
          return { done: n >= 4, progress: { done: n, total: 4, message: `${n}/4 replaying` }, evidence: r.stdout };
        },
      },
      verify: () => Promise.resolve({ ok: true, evidence: 'all replaying' }),
    },
    {
      id: 'promote',
      title: 'Promote',
      phase: 'cut',
      risk: 'change',
      retry: { onExitCodes: [16], attempts: 4, delayMs: 2000 },
      plan: () => [{ host: 'dst', argv: ['promote', 'pool'] }],
      verify: async (ctx) => {
        const r = await ctx.run('dst', ['is-primary'], { purpose: 'verify' });
        return { ok: r.stdout === 'true', evidence: `primary: ${r.stdout}` };
      },
    },
    {
      id: 'remove-file',
      title: 'Remove the file',
      phase: 'cut',
      risk: 'destructive',
      confirm: ({ params }) => ({ expected: params.site, prompt: `Type the cluster name ${params.site}` }),
      plan: ({ params }) => [{ host: 'h1', argv: ['rm', params.file] }],
      verify: async (ctx) => {
        const r = await ctx.run('h1', ['test-e', ctx.params.file], { purpose: 'verify' });
        return { ok: r.exitCode === 1, evidence: `test -e exit ${r.exitCode}` };
      },
    },
    {
      id: 'repoint',
      title: 'Re-point the cloud',
      phase: 'done',
      risk: 'change',
      plan: () => [],
      manual: {
        instructions: () => 'touch /etc/repointed',
        terminal: () => ({ host: 'h1', command: 'touch repointed' }),
      },
      verify: async (ctx) => {
        const r = await ctx.run('h1', ['test-e', 'repointed'], { purpose: 'verify' });
        return { ok: r.exitCode === 0, evidence: `repointed marker exit ${r.exitCode}` };
      },
    },
  ],
});

const inventory: Inventory = { version: 1, sites: [], clusters: [], hosts: [], glance: { stores: [] } };
const params: Params = { site: 'site-a', file: 'f1' };

describe('wizard engine', () => {
  let dir: string;
  let world: World;
  let clock: FakeClock;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'swy-wiz-'));
    world = new World();
    clock = new FakeClock();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function deps(journal: FileJournal, extra: Partial<EngineDeps<Params>> = {}): EngineDeps<Params> {
    return { wizard, inventory, runner: new FakeRunner(world), clock, journal, operator: 'test', ...extra };
  }
  async function start(
    extra: Partial<EngineDeps<Params>> = {},
  ): Promise<{ eng: WizardEngine<Params>; journal: FileJournal }> {
    const journal = FileJournal.create(dir, newRunId(wizard.id));
    const eng = await WizardEngine.start(deps(journal, extra), params);
    return { eng, journal };
  }

  it('plan is a dry run: every command listed and nothing sent', () => {
    const plan = planWizard(wizard, params, inventory);
    expect(plan.map((s) => s.id)).toEqual(['create-file', 'peer', 'wait-replay', 'promote', 'remove-file', 'repoint']);
    expect(plan[0]?.commands).toEqual([{ host: 'h1', argv: ['touch', 'f1'] }]);
    expect(plan[4]?.confirmation?.expected).toBe('site-a');
    expect(plan[5]?.manual?.terminal).toEqual({ host: 'h1', command: 'touch repointed' });
    expect(world.calls).toHaveLength(0);
  });

  it('runs to the destructive step and refuses without the typed name', async () => {
    const { eng } = await start();
    let st = await eng.run();
    expect(st.status).toBe('waiting-confirmation');
    expect(st.steps.find((s) => s.id === 'remove-file')?.status).toBe('waiting-confirmation');
    expect(world.files.has('f1')).toBe(true);
    await expect(eng.confirm('remove-file', 'site-b')).rejects.toThrow(WizardInputError);
    st = await eng.run();
    expect(st.status).toBe('waiting-confirmation');
    expect(world.calls.some((c) => c.argv[0] === 'rm')).toBe(false);
    await eng.confirm('remove-file', 'site-a');
    st = await eng.run();
    expect(st.status).toBe('waiting-manual');
    expect(world.files.has('f1')).toBe(false);
  });

  it('a wrong --confirm flag does not pass; the right one does', async () => {
    const { eng } = await start({ confirmations: { 'remove-file': 'site-A' } });
    const st = await eng.run();
    expect(st.status).toBe('waiting-confirmation');
    expect(st.lastMessage).toContain('does not match');
    const { eng: eng2 } = await start({ confirmations: { 'remove-file': 'site-a' } });
    expect((await eng2.run()).status).toBe('waiting-manual');
  });

  it('retries promote on EBUSY a bounded number of times', async () => {
    world.promoteBusyLeft = 2;
    const { eng, journal } = await start({ confirmations: { 'remove-file': 'site-a' } });
    await eng.run();
    const recs = loadRun(dir, journal.runId);
    const attempts = recs
      .filter((r) => r.type === 'command-intent' && r.argv[0] === 'promote')
      .map((r) => (r.type === 'command-intent' ? r.attempt : 0));
    expect(attempts).toEqual([1, 2, 3]);
    expect(world.primary).toBe(true);

    world = new World();
    world.promoteBusyLeft = 10;
    const { eng: e2, journal: j2 } = await start();
    const st = await e2.run();
    expect(st.status).toBe('failed');
    expect(st.steps.find((s) => s.id === 'promote')?.status).toBe('failed');
    const n = loadRun(dir, j2.runId).filter((r) => r.type === 'command-intent' && r.argv[0] === 'promote').length;
    expect(n).toBe(4);
    expect(world.calls.some((c) => c.argv[0] === 'rm')).toBe(false);
  });

  it('moves the token only through stdin and never writes it to the journal', async () => {
    const { eng, journal } = await start();
    await eng.run();
    const imp = world.calls.find((c) => c.argv[0] === 'bootstrap-import');
    expect(imp?.stdin?.trim()).toBe(TOKEN);
    expect(imp?.argv.join(' ')).not.toContain(TOKEN);
    const bytes = readFileSync(journal.path, 'utf8');
    expect(bytes).not.toContain(TOKEN);
    expect(bytes).not.toContain('AQBsecretKey');
    expect(bytes).toContain('[redacted]');
    expect(CEPHX).toMatch(/^AQ[A-Za-z0-9+/]{36}==$/);
    expect(bytes).not.toContain(CEPHX);
    expect(bytes).toContain('[redacted cephx key]');
    const md = renderMarkdown(loadRun(dir, journal.runId));
    expect(md).not.toContain(TOKEN);
  });

  it('reports wait progress with an ETA', async () => {
    const { eng, journal } = await start();
    await eng.run();
    const prog = loadRun(dir, journal.runId).filter((r) => r.type === 'progress' && r.step === 'wait-replay');
    expect(prog.length).toBeGreaterThanOrEqual(3);
    const last = prog[prog.length - 1];
    expect(last?.type === 'progress' && last.done).toBe(4);
    expect(prog.some((r) => r.type === 'progress' && typeof r.etaMs === 'number' && r.etaMs > 0)).toBe(true);
  });

  it('manual step: stops with instructions, verifies after "done", fails verification honestly', async () => {
    const { eng } = await start({ confirmations: { 'remove-file': 'site-a' } });
    let st = await eng.run();
    expect(st.status).toBe('waiting-manual');
    expect(st.lastMessage).toContain('touch /etc/repointed');
    await eng.manualDone('repoint');
    st = await eng.run();
    expect(st.status).toBe('failed');
    world.files.add('repointed');
    await eng.manualDone('repoint', 'did it now');
    st = await eng.run();
    expect(st.status).toBe('succeeded');
  });

  it('crash after a command-intent: resume verifies first and does not re-run a step that is done', async () => {
    const { eng, journal } = await start({ confirmations: { 'remove-file': 'site-a' } });
    await eng.run();
    journal.close();
    // Cut the journal right after the promote intent: the process "died" with the command sent.
    const lines = readFileSync(journal.path, 'utf8').split('\n').filter(Boolean);
    const idx = lines.findIndex((l) => l.includes('"command-intent"') && l.includes('"promote"'));
    writeFileSync(journal.path, `${lines.slice(0, idx + 1).join('\n')}\n{"seq":99,"ts":"2026-11-`);
    const before = world.calls.filter((c) => c.argv[0] === 'promote').length;
    const st0 = reconstruct(loadRun(dir, journal.runId));
    expect(st0.status).toBe('interrupted');
    expect(st0.steps.find((s) => s.id === 'promote')?.status).toBe('unknown');

    const { journal: j2, records } = FileJournal.open(dir, journal.runId);
    const eng2 = await WizardEngine.resume(deps(j2, { confirmations: { 'remove-file': 'site-a' } }), records);
    const st = await eng2.run();
    expect(world.calls.filter((c) => c.argv[0] === 'promote').length).toBe(before);
    expect(st.steps.find((s) => s.id === 'promote')?.status).toBe('done');
    const recs = loadRun(dir, journal.runId);
    expect(recs.some((r) => r.type === 'verified' && r.step === 'promote' && r.afterCrash === true)).toBe(true);
  });

  it('crash where the command never took effect: resume asks before re-running', async () => {
    world.promoteBusyLeft = 0;
    const { eng, journal } = await start({ confirmations: { 'remove-file': 'site-a' } });
    await eng.run();
    journal.close();
    const lines = readFileSync(journal.path, 'utf8').split('\n').filter(Boolean);
    const idx = lines.findIndex((l) => l.includes('"command-intent"') && l.includes('"promote"'));
    writeFileSync(journal.path, `${lines.slice(0, idx + 1).join('\n')}\n`);
    world.primary = false; // it never happened
    const { journal: j2, records } = FileJournal.open(dir, journal.runId);
    const eng2 = await WizardEngine.resume(deps(j2, { confirmations: { 'remove-file': 'site-a' } }), records);
    let st = await eng2.run();
    expect(st.status).toBe('waiting-decision');
    expect(world.primary).toBe(false);
    await eng2.allowRerun('promote');
    st = await eng2.run();
    expect(world.primary).toBe(true);
    expect(st.steps.find((s) => s.id === 'promote')?.status).toBe('done');
  });

  it('a dropped connection mid-command verifies and continues when the command took effect', async () => {
    world.dropAfter = 'promote pool';
    const { eng } = await start({ confirmations: { 'remove-file': 'site-a' } });
    const st = await eng.run();
    expect(st.steps.find((s) => s.id === 'promote')?.status).toBe('done');
    expect(st.status).toBe('waiting-manual');
  });

  it('skip needs a reason and is recorded; abort is recorded and final', async () => {
    const { eng, journal } = await start();
    await expect(eng.skip('create-file', '')).rejects.toThrow(WizardInputError);
    await eng.skip('create-file', 'file already provisioned by hand');
    await eng.requestPause();
    let st = await eng.run();
    expect(st.status).toBe('paused');
    expect(world.calls.some((c) => c.argv[0] === 'touch')).toBe(false);
    await eng.abort('change window closed');
    st = eng.snapshot;
    expect(st.status).toBe('aborted');
    const recs = loadRun(dir, journal.runId);
    expect(
      recs.some(
        (r) =>
          r.type === 'operator-decision' && r.decision === 'skip' && r.reason === 'file already provisioned by hand',
      ),
    ).toBe(true);
    expect(recs.some((r) => r.type === 'operator-decision' && r.decision === 'abort')).toBe(true);
    expect(recs[recs.length - 1]?.type).toBe('run-finished');
    await expect(
      WizardEngine.resume(deps(FileJournal.open(dir, journal.runId).journal), loadRun(dir, journal.runId)),
    ).rejects.toThrow(/aborted/);
  });

  it('lists runs and renders reports with phase times and downtime', async () => {
    const { eng, journal } = await start({ confirmations: { 'remove-file': 'site-a' } });
    world.files.add('repointed');
    await eng.run();
    await eng.manualDone('repoint');
    const st = await eng.run();
    expect(st.status).toBe('succeeded');
    const runs = listRuns(dir);
    expect(runs[0]?.runId).toBe(journal.runId);
    expect(runs[0]?.status).toBe('succeeded');
    const recs = loadRun(dir, journal.runId);
    const tm = computeTimings(recs);
    expect(tm.phases.map((p) => p.phase)).toEqual(['prep', 'cut', 'done']);
    expect(tm.downtime?.ms).not.toBeNull();
    const md = renderMarkdown(recs);
    expect(md).toContain("'promote' 'pool'");
    expect(md).toContain('Downtime');
    expect(md).toContain('typed "site-a"');
    const html = renderHtml(recs);
    expect(html).toContain('<h1>');
    expect(html).not.toContain('<script');
  });
});
