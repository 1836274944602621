/**
 * Wizard runs on this machine: starts, drives, resumes and reports runs, one journal file per run. Shared by the
 * CLI and the contract handlers (UI). Engines of runs being driven stay in memory; everything else is re-read
 * from the journal, which is the only source of truth.
 */
import type { Inventory } from '../../common/inventory/schema';
import type { Clock, CommandRunner } from '../../common/ports';
import { planWizard, type PlannedStep } from '../../common/wizard/define';
import { WizardEngine, type EngineDeps, type EngineEvents } from '../../common/wizard/engine';
import { WizardInputError } from '../../common/wizard/errors';
import { reconstruct, type JournalRecord, type NewRecord, type RunState } from '../../common/wizard/journal';
import { renderHtml, renderMarkdown, computeTimings, type RunTimings } from '../../common/wizard/report';
import type { ReconnectPolicy } from '../../common/wizard/reconnect';
import { findWizard, wizards } from '../../common/wizard/runbooks/index';
import { makeStepContext } from '../../common/wizard/step-context';
import type { Facts, WizardDef } from '../../common/wizard/types';
import { FileJournal, listRuns, loadRun, newRunId, runsDir, type RunSummary } from './journal-store';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('aborted'));
        return;
      }
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Events with the run they belong to (what the UI transports forward). */
export interface RunEvents {
  record?(runId: string, record: JournalRecord): void;
  output?(runId: string, step: string, cmd: number, stream: 'stdout' | 'stderr', chunk: string): void;
  progress?(
    runId: string,
    step: string,
    p: { done: number; total: number; message: string; etaMs: number | null },
  ): void;
}

export interface WizardServiceOptions extends EngineEvents {
  runEvents?: RunEvents;
  home?: string;
  runner: CommandRunner;
  inventory(): Promise<Inventory>;
  clock?: Clock;
  operator?: string;
  /** Backoff and budget after a broken connection (defaults in core/common/wizard/reconnect.ts). */
  reconnect?: Partial<ReconnectPolicy>;
}

export interface StartOptions {
  confirmations?: Record<string, string>;
  /** Drive in the background (UI) instead of awaiting the stop point (CLI). */
  background?: boolean;
}

export interface RunDetail {
  state: RunState;
  records: JournalRecord[];
  timings: RunTimings;
}

function wizardOr404(id: string): WizardDef<unknown> {
  const w = findWizard(id);
  if (!w) throw new WizardInputError(`no wizard ${id} (have: ${wizards.map((x) => x.id).join(', ')})`);
  return w;
}

export class WizardService {
  readonly dir: string;
  private readonly live = new Map<
    string,
    { engine: WizardEngine<unknown>; journal: FileJournal; driving: Promise<RunState> | null }
  >();

  constructor(private readonly o: WizardServiceOptions) {
    this.dir = runsDir(o.home);
  }

  list(): { id: string; title: string; description: string; phases: string[]; steps: number }[] {
    return wizards.map((w) => ({
      id: w.id,
      title: w.title,
      description: w.description,
      phases: w.phases,
      steps: w.steps.length,
    }));
  }

  /** The dry run. With `discover`, the wizard's read-only discovery step runs first so the plan names every image. */
  async plan(
    id: string,
    rawParams: unknown,
    opts: { discover?: boolean } = {},
  ): Promise<{ steps: PlannedStep[]; facts: Facts }> {
    const w = wizardOr404(id);
    const parsed = w.params.safeParse(rawParams);
    if (!parsed.success) throw new WizardInputError(`invalid parameters: ${parsed.error.message}`);
    const inventory = await this.o.inventory();
    const facts: Facts = {};
    const first = w.steps[0];
    if (opts.discover && first && first.risk === 'read' && first.execute) {
      const discard = (_r: NewRecord): Promise<void> => Promise.resolve();
      let n = 0;
      const ctx = makeStepContext({ params: parsed.data, inventory, facts }, first.id, undefined, {
        runner: this.o.runner,
        clock: this.o.clock ?? systemClock,
        signal: { aborted: false, addEventListener: () => undefined, removeEventListener: () => undefined },
        secrets: new Map(),
        append: discard,
        nextCmd: () => ++n,
        onProgress: () => undefined,
        facts,
        pendingFacts: {},
      });
      await first.execute(ctx);
    }
    return { steps: planWizard(w, parsed.data, inventory, facts), facts };
  }

  private async deps(
    w: WizardDef<unknown>,
    journal: FileJournal,
    confirmations?: Record<string, string>,
  ): Promise<EngineDeps<unknown>> {
    return {
      wizard: w,
      inventory: await this.o.inventory(),
      runner: this.o.runner,
      clock: this.o.clock ?? systemClock,
      journal,
      operator: this.o.operator ?? 'operator',
      ...(confirmations ? { confirmations } : {}),
      ...(this.o.reconnect ? { reconnect: this.o.reconnect } : {}),
      onRecord: (r) => {
        this.o.onRecord?.(r);
        this.o.runEvents?.record?.(journal.runId, r);
      },
      onOutput: (step, cmd, stream, chunk) => {
        this.o.onOutput?.(step, cmd, stream, chunk);
        this.o.runEvents?.output?.(journal.runId, step, cmd, stream, chunk);
      },
      onProgress: (step, p) => {
        this.o.onProgress?.(step, p);
        this.o.runEvents?.progress?.(journal.runId, step, p);
      },
    };
  }

  private drive(runId: string, background: boolean | undefined): Promise<RunState> | RunState {
    const l = this.live.get(runId);
    if (!l) throw new WizardInputError(`run ${runId} is not open`);
    if (l.driving) throw new WizardInputError(`run ${runId} is already running`);
    const p = l.engine.run().finally(() => {
      l.driving = null;
    });
    l.driving = p;
    if (background) {
      p.catch((e: unknown) => console.error(`wizard run ${runId} stopped with an error:`, e));
      return l.engine.snapshot;
    }
    return p;
  }

  async start(id: string, rawParams: unknown, opts: StartOptions = {}): Promise<RunState> {
    const w = wizardOr404(id);
    const journal = FileJournal.create(this.dir, newRunId(w.id));
    const engine = await WizardEngine.start(await this.deps(w, journal, opts.confirmations), rawParams);
    this.live.set(engine.runId, { engine, journal, driving: null });
    return this.drive(engine.runId, opts.background);
  }

  /** Opens a run (after a crash, a pause or in another process) without driving it. */
  private async open(runId: string, confirmations?: Record<string, string>): Promise<WizardEngine<unknown>> {
    const l = this.live.get(runId);
    if (l) {
      if (confirmations) l.engine.supplyConfirmations(confirmations);
      return l.engine;
    }
    const { journal, records } = FileJournal.open(this.dir, runId);
    const st = reconstruct(records);
    const w = wizardOr404(st.wizard);
    const engine = await WizardEngine.resume(await this.deps(w, journal, confirmations), records);
    this.live.set(runId, { engine, journal, driving: null });
    return engine;
  }

  async resume(runId: string, opts: StartOptions = {}): Promise<RunState> {
    await this.open(runId, opts.confirmations);
    return this.drive(runId, opts.background);
  }

  async confirm(runId: string, step: string, typed: string): Promise<void> {
    await (await this.open(runId)).confirm(step, typed);
  }
  async skip(runId: string, step: string, reason: string): Promise<void> {
    await (await this.open(runId)).skip(step, reason);
  }
  async rerun(runId: string, step: string): Promise<void> {
    await (await this.open(runId)).allowRerun(step);
  }
  async manualDone(runId: string, step: string, note?: string): Promise<void> {
    await (await this.open(runId)).manualDone(step, note);
  }
  async pause(runId: string): Promise<void> {
    (await this.open(runId)).requestPause();
  }
  async abort(runId: string, reason: string): Promise<void> {
    await (await this.open(runId)).abort(reason);
  }
  /** Waits for a background drive to reach its stop point. */
  async settled(runId: string): Promise<RunState | undefined> {
    return (await this.live.get(runId)?.driving) ?? this.live.get(runId)?.engine.snapshot;
  }

  runs(): RunSummary[] {
    return listRuns(this.dir);
  }

  detail(runId: string): RunDetail {
    const records = loadRun(this.dir, runId);
    const state = reconstruct(records);
    // The journal alone cannot tell a run being driven from one whose process died: a live engine can.
    const l = this.live.get(runId);
    if (l?.driving) {
      const live = l.engine.snapshot;
      state.status = live.status;
      if (live.lastMessage !== undefined) state.lastMessage = live.lastMessage;
    }
    return { state, records, timings: computeTimings(records) };
  }

  report(runId: string, format: 'markdown' | 'html'): string {
    const records = loadRun(this.dir, runId);
    return format === 'html' ? renderHtml(records) : renderMarkdown(records);
  }

  close(): void {
    for (const l of this.live.values()) l.journal.close();
    this.live.clear();
  }
}
