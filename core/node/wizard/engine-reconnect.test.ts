/**
 * The engine when a connection breaks mid-step: it pauses ('reconnecting', with the reason), reconnects with
 * backoff by running the step's verification, and continues from where it is safe to; a change in flight is never
 * re-sent without the operator. Fast: an in-process world and a fake clock (the lab version is
 * test/integration/migration-resilience.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Clock, CommandRunner, ExecOptions, ExecResult } from '../../common/ports';
import type { Inventory } from '../../common/inventory/schema';
import { defineWizard } from '../../common/wizard/define';
import { WizardEngine, type EngineDeps } from '../../common/wizard/engine';
import { reconstruct, type JournalRecord } from '../../common/wizard/journal';
import type { StepContext, VerifyResult } from '../../common/wizard/types';
import { nextDelay, DEFAULT_RECONNECT } from '../../common/wizard/reconnect';
import { renderMarkdown } from '../../common/wizard/report';
import { FileJournal, loadRun, newRunId } from './journal-store';

class FakeClock implements Clock {
  t = 1_000_000;
  sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: { aborted: boolean }): Promise<void> {
    if (signal?.aborted) return Promise.reject(new Error('aborted'));
    this.sleeps.push(ms);
    this.t += ms;
    return Promise.resolve();
  }
}

/** Hosts with state; a host can be down until a clock time, and one command can break the connection. */
class World {
  keys = new Set<string>();
  polls = 0;
  calls: string[] = [];
  downUntil = 0;
  /** The next command matching `argv` breaks the connection: 'before' it reaches the host, or 'after' it ran. */
  cut: { argv: string; when: 'before' | 'after' } | undefined;
  /** Every command matching this breaks the connection after running (a flapping link). */
  flap: string | undefined;
  /** How long a host stays unreachable after its connection broke. */
  downForMs = 7000;
  constructor(private clock: FakeClock) {}
  run(host: string, argv: string[]): Promise<ExecResult> {
    const line = argv.join(' ');
    if (this.clock.now() < this.downUntil) return Promise.reject(new Error(`host ${host}: unreachable (ECONNREFUSED)`));
    const cut = this.cut && this.cut.argv === line ? this.cut : undefined;
    if (cut) this.cut = undefined;
    if (cut?.when === 'before') return this.drop(host);
    this.calls.push(`${host}: ${line}`);
    const [cmd, key] = argv;
    let code = 0;
    let out = '';
    if (cmd === 'set') this.keys.add(key ?? '');
    else if (cmd === 'get') code = this.keys.has(key ?? '') ? 0 : 1;
    else if (cmd === 'status') out = String(++this.polls);
    if (cut?.when === 'after' || (this.flap && this.flap === line)) return this.drop(host);
    return Promise.resolve({
      hostId: host,
      argv,
      exitCode: code,
      signal: null,
      stdout: out,
      stderr: '',
      durationMs: 1,
      timedOut: false,
      truncated: false,
    });
  }
  private drop(host: string): Promise<ExecResult> {
    // The sshd went away for a while: the pool's message, then ECONNREFUSED until it is back.
    this.downUntil = this.clock.now() + this.downForMs;
    return Promise.reject(
      new Error(`connection to ${host} lost while the command ran (no exit status): it may or may not have completed`),
    );
  }
}

class Runner implements CommandRunner {
  constructor(private w: World) {}
  run(host: string, argv: string[], _o?: ExecOptions): Promise<ExecResult> {
    return this.w.run(host, argv);
  }
}

const P = z.object({ name: z.string() });
type Params = z.infer<typeof P>;
const get =
  (host: string, key: string) =>
  async (ctx: StepContext<Params>): Promise<VerifyResult> => {
    const r = await ctx.run(host, ['get', key], { purpose: 'verify' });
    return { ok: r.exitCode === 0, evidence: `get ${key}: exit ${r.exitCode}` };
  };

/** The replay is "caught up" once five polls were answered by the world. */
const makeWizard = (world: World) =>
  defineWizard<Params>({
    id: 'reconnect-test',
    title: 'Reconnect test',
    description: 'engine reconnect test',
    params: P,
    phases: ['one'],
    steps: [
      {
        id: 'prep',
        title: 'Prepare',
        phase: 'one',
        risk: 'change',
        plan: () => [{ host: 'h1', argv: ['set', 'prep'] }],
        preconditions: async (ctx) => {
          const r = await ctx.run('h1', ['probe'], { purpose: 'precondition' });
          return [{ name: 'probe', ok: r.exitCode === 0, evidence: `exit ${r.exitCode}` }];
        },
        verify: get('h1', 'prep'),
      },
      {
        id: 'apply',
        title: 'Apply the change',
        phase: 'one',
        risk: 'change',
        plan: () => [{ host: 'h1', argv: ['set', 'applied'] }],
        verify: get('h1', 'applied'),
      },
      {
        id: 'replay',
        title: 'Start and wait for replay',
        phase: 'one',
        risk: 'change',
        plan: () => [{ host: 'h2', argv: ['set', 'started'] }],
        wait: {
          intervalMs: 10_000,
          timeoutMs: 600_000,
          poll: async (ctx) => {
            const r = await ctx.run('h2', ['status'], { purpose: 'poll' });
            const n = Number(r.stdout);
            return {
              done: n >= 5,
              progress: { done: Math.min(n, 5), total: 5, message: `${n}/5` },
              evidence: r.stdout,
            };
          },
        },
        verify: async (ctx) => {
          const r = await ctx.run('h2', ['get', 'started'], { purpose: 'verify' });
          return {
            ok: r.exitCode === 0 && world.polls >= 5,
            evidence: `started exit ${r.exitCode}, ${world.polls} polls answered`,
          };
        },
      },
    ],
  });

const inventory: Inventory = { version: 1, sites: [], clusters: [], hosts: [], glance: { stores: [] } };

describe('wizard engine: a broken connection mid-step', () => {
  let dir: string;
  let clock: FakeClock;
  let world: World;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'swy-reconnect-'));
    clock = new FakeClock();
    world = new World(clock);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function deps(journal: FileJournal, extra: Partial<EngineDeps<Params>> = {}): EngineDeps<Params> {
    return {
      wizard: makeWizard(world),
      inventory,
      runner: new Runner(world),
      clock,
      journal,
      operator: 'test',
      ...extra,
    };
  }
  async function start(extra: Partial<EngineDeps<Params>> = {}) {
    const journal = FileJournal.create(dir, newRunId('reconnect-test'));
    return { eng: await WizardEngine.start(deps(journal, extra), { name: 'x' }), journal };
  }
  const records = (j: FileJournal): JournalRecord[] => loadRun(dir, j.runId);
  const sent = (line: string): number => world.calls.filter((c) => c.endsWith(line)).length;

  it('backoff doubles from the first delay up to the cap', () => {
    const seq: number[] = [];
    let d = 0;
    for (let i = 0; i < 7; i++) seq.push((d = nextDelay(d, DEFAULT_RECONNECT)));
    expect(seq).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('cut while polling: pauses with the reason, reconnects with backoff, keeps polling, nothing re-sent', async () => {
    world.cut = { argv: 'status', when: 'after' };
    const seen: string[] = [];
    const { eng, journal } = await start({ onRecord: (r) => seen.push(r.type) });
    const st = await eng.run();
    expect(st.status, st.lastMessage).toBe('succeeded');
    const recs = records(journal);
    const paused = recs.find((r) => r.type === 'run-paused');
    expect(paused?.type === 'run-paused' && paused.status).toBe('reconnecting');
    expect(paused?.type === 'run-paused' && paused.message).toMatch(
      /connection to h2 lost in replay while polling: .*lost while the command ran.*verified before anything is re-run/,
    );
    const resumed = recs.find((r) => r.type === 'run-resumed');
    expect(resumed?.type === 'run-resumed' && resumed.reason).toMatch(
      /reconnected after 7 s \(3 verification attempts\); replay not done yet/,
    );
    // Host down for 7 s: the attempts after 1 and 3 s fail, the one at 7 s (4 s later) gets through.
    expect(clock.sleeps.slice(0, 3)).toEqual([1000, 2000, 4000]);
    expect(sent('set started')).toBe(1);
    expect(world.polls).toBeGreaterThanOrEqual(5);
    // No failure is recorded: a cut connection is not a failed step.
    expect(recs.some((r) => r.type === 'failed')).toBe(false);
    expect(seen.indexOf('run-paused')).toBeLessThan(seen.indexOf('run-resumed'));
    // The report tells the story in the step's section.
    const md = renderMarkdown(recs);
    expect(md).toMatch(/\*\*connection lost\*\*: connection to h2 lost in replay while polling/);
    expect(md).toMatch(/reconnected after 7 s/);
  });

  it('cut after a change took effect: verified after reconnecting and the run goes on, sent once', async () => {
    world.cut = { argv: 'set applied', when: 'after' };
    const { eng, journal } = await start();
    const st = await eng.run();
    expect(st.status, st.lastMessage).toBe('succeeded');
    expect(sent('set applied')).toBe(1);
    const v = records(journal).find((r) => r.type === 'verified' && r.step === 'apply');
    expect(v?.type === 'verified' && v.afterReconnect).toBe(true);
  });

  it('cut before a change reached the host: stops for the operator, never re-sends on its own', async () => {
    world.cut = { argv: 'set applied', when: 'before' };
    const { eng, journal } = await start();
    let st = await eng.run();
    expect(st.status).toBe('waiting-decision');
    expect(st.lastMessage).toMatch(
      /broke while `set applied` ran; reconnected.*not done.*may or may not have been made/,
    );
    expect(st.steps.find((s) => s.id === 'apply')?.status).toBe('waiting-decision');
    expect(sent('set applied')).toBe(0);
    expect(world.keys.has('applied')).toBe(false);
    await eng.allowRerun('apply');
    st = await eng.run();
    expect(st.status, st.lastMessage).toBe('succeeded');
    expect(sent('set applied')).toBe(1);
    expect(reconstruct(records(journal)).status).toBe('succeeded');
  });

  it('cut during preconditions: nothing was changed, so the step starts again by itself', async () => {
    world.cut = { argv: 'probe', when: 'before' };
    const { eng } = await start();
    const st = await eng.run();
    expect(st.status, st.lastMessage).toBe('succeeded');
    expect(sent('probe')).toBe(1);
    expect(sent('set prep')).toBe(1);
  });

  it('a host that stays down past the budget: waits for the operator; resume verifies first and goes on', async () => {
    world.cut = { argv: 'set applied', when: 'after' };
    world.downForMs = 3_600_000;
    const { eng, journal } = await start({ reconnect: { budgetMs: 30_000 } });
    const st = await eng.run();
    expect(st.status).toBe('waiting-decision');
    expect(st.lastMessage).toMatch(
      /connection to h1 did not come back within \d+ s \(\d attempts; last: .*ECONNREFUSED/,
    );
    expect(st.steps.find((s) => s.id === 'apply')?.status).toBe('waiting-decision');
    journal.close();
    // Later, the host is back; a new process resumes from the journal: verify first, no re-send.
    world.downUntil = 0;
    const { journal: j2, records: recs } = FileJournal.open(dir, journal.runId);
    const st2 = await (await WizardEngine.resume(deps(j2), recs)).run();
    expect(st2.status, st2.lastMessage).toBe('succeeded');
    expect(sent('set applied')).toBe(1);
  });

  it('a crash while reconnecting leaves the step unknown (resume verifies), not running', async () => {
    world.cut = { argv: 'status', when: 'after' };
    const { eng, journal } = await start();
    await eng.run();
    journal.close();
    const lines = readFileSync(journal.path, 'utf8').split('\n').filter(Boolean);
    const idx = lines.findIndex((l) => l.includes('"status":"reconnecting"'));
    writeFileSync(journal.path, `${lines.slice(0, idx + 1).join('\n')}\n`);
    const st = reconstruct(loadRun(dir, journal.runId));
    expect(st.status).toBe('interrupted');
    expect(st.steps.find((s) => s.id === 'replay')?.status).toBe('unknown');
  });

  it('a link that keeps breaking stops the run after a bounded number of recoveries', async () => {
    world.flap = 'status';
    const { eng } = await start({ reconnect: { maxRecoveriesPerStep: 3 } });
    const st = await eng.run();
    expect(st.status).toBe('waiting-decision');
    expect(st.lastMessage).toMatch(/broke 4 times during this step/);
    expect(world.polls).toBe(4);
  });

  it('abort while reconnecting ends the run as aborted', async () => {
    world.cut = { argv: 'status', when: 'after' };
    const holder: { eng?: WizardEngine<Params> } = {};
    const { eng } = await start({
      onRecord: (r) => {
        if (r.type === 'run-paused' && r.status === 'reconnecting') void holder.eng?.abort('change window closed');
      },
    });
    holder.eng = eng;
    const st = await eng.run();
    expect(st.status).toBe('aborted');
  });
});
