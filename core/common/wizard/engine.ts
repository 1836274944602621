/**
 * The wizard engine: the only control flow of a wizard. It walks the steps in order and, per step: plans (the exact
 * commands, journaled), checks preconditions, asks for the typed confirmation of destructive steps, executes
 * through the journaling `run`, waits with progress and ETA, and verifies by re-observing. Anything unexpected stops
 * the run with the evidence; the operator decides (re-run, skip with a reason, abort). After a crash, a step whose
 * command has an intent but no result is "unknown" and is verified before anything is re-run.
 */
import type { Inventory } from '../inventory/schema';
import type { AbortSignalLike, Clock, CommandRunner } from '../ports';
import { EtaEstimator, formatDuration } from './eta';
import { StepFailedError, TransportError, WizardInputError, errorMessage } from './errors';
import {
  reconstruct,
  type JournalRecord,
  type JournalSink,
  type NewRecord,
  type RunState,
  type RunStatus,
  type StepState,
} from './journal';
import { DEFAULT_RECONNECT, verifyReconnecting, type ReconnectPolicy } from './reconnect';
import { scrub, type Secret } from './secret';
import { makeStepContext, type ContextDeps } from './step-context';
import type { Facts, PlanContext, PlannedCommand, ProgressUpdate, StepContext, StepDef, WizardDef } from './types';

export interface EngineEvents {
  onRecord?(record: JournalRecord): void;
  onOutput?(step: string, cmd: number, stream: 'stdout' | 'stderr', chunk: string): void;
  onProgress?(step: string, p: ProgressUpdate & { etaMs: number | null }): void;
}

export interface EngineDeps<P> extends EngineEvents {
  wizard: WizardDef<P>;
  inventory: Inventory;
  runner: CommandRunner;
  clock: Clock;
  journal: JournalSink;
  /** Who decides ('cli', 'ui', 'test'); written into operator-decision records. */
  operator?: string;
  /** Typed confirmations supplied up front (CLI `--confirm STEP=NAME`); checked when the step is reached. */
  confirmations?: Record<string, string>;
  /** After a broken connection: backoff and budget of the reconnect-and-verify loop (defaults: reconnect.ts). */
  reconnect?: Partial<ReconnectPolicy>;
}

/** Where in a step a connection broke: decides what is safe to do once it is back. */
type StepPhase = 'preconditions' | 'execute' | 'wait' | 'verify';

class AbortController2 implements AbortSignalLike {
  aborted = false;
  reason?: unknown;
  private listeners = new Set<() => void>();
  addEventListener(_t: 'abort', l: () => void): void {
    this.listeners.add(l);
  }
  removeEventListener(_t: 'abort', l: () => void): void {
    this.listeners.delete(l);
  }
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    for (const l of this.listeners) l();
  }
}

export class WizardEngine<P> {
  readonly runId: string;
  private state: RunState;
  private cmdCounter: number;
  private readonly secrets = new Map<string, Secret>();
  private readonly abortCtl = new AbortController2();
  private pauseRequested = false;
  private running = false;
  private readonly confirmations: Record<string, string> = {};

  private constructor(
    private readonly deps: EngineDeps<P>,
    private readonly params: P,
    records: JournalRecord[],
  ) {
    this.state = reconstruct(records);
    this.runId = this.state.runId;
    Object.assign(this.confirmations, deps.confirmations ?? {});
    this.cmdCounter = records.filter((r) => r.type === 'command-intent').length;
  }

  /** Starts a new run: validates the parameters and writes run-started. */
  static async start<P>(deps: EngineDeps<P>, rawParams: unknown): Promise<WizardEngine<P>> {
    const parsed = deps.wizard.params.safeParse(rawParams);
    if (!parsed.success) throw new WizardInputError(`invalid parameters: ${parsed.error.message}`);
    const w = deps.wizard;
    const first = await deps.journal.append({
      type: 'run-started',
      wizard: w.id,
      title: w.title,
      params: parsed.data,
      phases: w.phases,
      ...(w.downtime ? { downtime: w.downtime } : {}),
      steps: w.steps.map((s) => ({ id: s.id, title: s.title, phase: s.phase, risk: s.risk })),
    });
    deps.onRecord?.(first);
    return new WizardEngine(deps, parsed.data, [first]);
  }

  /** Re-opens a run from its journal (after a pause, a failure or a crash). */
  static async resume<P>(deps: EngineDeps<P>, records: JournalRecord[], reason = 'resume'): Promise<WizardEngine<P>> {
    const st = reconstruct(records);
    if (st.status === 'succeeded' || st.status === 'aborted')
      throw new WizardInputError(`run ${st.runId} is ${st.status}; nothing to resume`);
    if (st.wizard !== deps.wizard.id) throw new WizardInputError(`run ${st.runId} belongs to wizard ${st.wizard}`);
    const parsed = deps.wizard.params.safeParse(st.params);
    if (!parsed.success) throw new WizardInputError(`journaled parameters no longer valid: ${parsed.error.message}`);
    const eng = new WizardEngine(deps, parsed.data, records);
    await eng.append({
      type: 'run-resumed',
      reason: st.status === 'interrupted' ? `${reason} after an interruption` : reason,
    });
    eng.state.status = 'running';
    return eng;
  }

  get snapshot(): RunState {
    return JSON.parse(JSON.stringify(this.state)) as RunState;
  }

  private planCtx(): PlanContext<P> {
    return { params: this.params, inventory: this.deps.inventory, facts: this.state.facts };
  }

  private stepDef(id: string): StepDef<P> {
    const s = this.deps.wizard.steps.find((x) => x.id === id);
    if (!s) throw new WizardInputError(`no step ${id} in wizard ${this.deps.wizard.id}`);
    return s;
  }

  private stepState(id: string): StepState {
    const s = this.state.steps.find((x) => x.id === id);
    if (!s) throw new WizardInputError(`no step ${id} in run ${this.runId}`);
    return s;
  }

  private async append(rec: NewRecord): Promise<JournalRecord> {
    // Second line of defence behind the Secret type: any live secret value is scrubbed from the record.
    const clean =
      this.secrets.size > 0 ? (JSON.parse(scrub(JSON.stringify(rec), this.secrets.values())) as NewRecord) : rec;
    const written = await this.deps.journal.append(clean);
    this.state.updatedAt = written.ts;
    this.deps.onRecord?.(written);
    return written;
  }

  private get by(): string {
    return this.deps.operator ?? 'operator';
  }

  /** What the operator must type for a destructive step. */
  confirmationFor(stepId: string): { expected: string; prompt: string } | undefined {
    const def = this.stepDef(stepId);
    if (def.risk !== 'destructive') return undefined;
    return def.confirm?.(this.planCtx()) ?? { expected: def.id, prompt: `Type the step id ${def.id} to run it` };
  }

  /** Records a typed confirmation; refuses (and records nothing) when the typed text does not match. */
  async confirm(stepId: string, typed: string): Promise<void> {
    const c = this.confirmationFor(stepId);
    if (!c) throw new WizardInputError(`step ${stepId} is not destructive; nothing to confirm`);
    if (typed !== c.expected)
      throw new WizardInputError(
        `confirmation for ${stepId} refused: expected the name "${c.expected}", got "${typed}"`,
      );
    await this.append({ type: 'operator-decision', step: stepId, decision: 'confirm', typed, by: this.by });
    this.stepState(stepId).confirmed = true;
  }

  async skip(stepId: string, reason: string): Promise<void> {
    if (reason.trim().length < 3) throw new WizardInputError('skipping a step needs a reason');
    const st = this.stepState(stepId);
    if (st.status === 'done') throw new WizardInputError(`step ${stepId} is already done`);
    await this.append({ type: 'operator-decision', step: stepId, decision: 'skip', reason, by: this.by });
    await this.append({ type: 'step-finished', step: stepId, status: 'skipped' });
    st.status = 'skipped';
    st.skipReason = reason;
  }

  /** Allows one more attempt of a failed step, or of an unknown step whose verification said "not done". */
  async allowRerun(stepId: string, reason = 'operator asked to re-run'): Promise<void> {
    const st = this.stepState(stepId);
    if (st.status === 'done' || st.status === 'skipped') throw new WizardInputError(`step ${stepId} is ${st.status}`);
    await this.append({ type: 'operator-decision', step: stepId, decision: 'rerun', reason, by: this.by });
    st.rerunAllowed = true;
  }

  /** The operator says the manual step is done; the engine verifies on the next `run()`. */
  async manualDone(stepId: string, note?: string): Promise<void> {
    const def = this.stepDef(stepId);
    if (!def.manual) throw new WizardInputError(`step ${stepId} is not a manual step`);
    await this.append({
      type: 'operator-decision',
      step: stepId,
      decision: 'manual-done',
      ...(note ? { reason: note } : {}),
      by: this.by,
    });
    this.stepState(stepId).manualDone = true;
  }

  /** Typed confirmations supplied up front (CLI flags) for steps not reached yet; checked when reached. */
  supplyConfirmations(map: Record<string, string>): void {
    Object.assign(this.confirmations, map);
  }

  /** Stops after the current step. */
  requestPause(): void {
    this.pauseRequested = true;
  }

  /** Aborts the current command (the runner gets the signal) and ends the run. */
  async abort(reason: string): Promise<void> {
    await this.append({ type: 'operator-decision', decision: 'abort', reason, by: this.by });
    this.abortCtl.abort(new Error(`aborted: ${reason}`));
    if (!this.running) await this.finish('aborted');
  }

  private async finish(status: 'succeeded' | 'aborted'): Promise<void> {
    if (this.state.status === 'succeeded' || this.state.status === 'aborted') return;
    await this.append({ type: 'run-finished', status });
    this.state.status = status;
  }

  private async stop(status: RunStatus, message: string, step?: StepState): Promise<RunState> {
    await this.append({ type: 'run-paused', status, message, ...(step ? { step: step.id } : {}) });
    this.state.status = status;
    this.state.lastMessage = message;
    if (step && (status === 'waiting-confirmation' || status === 'waiting-manual' || status === 'waiting-decision'))
      step.status = status;
    return this.snapshot;
  }

  private ctxFor(def: StepDef<P>, pendingFacts: Facts): StepContext<P> {
    const deps: ContextDeps = {
      runner: this.deps.runner,
      clock: this.deps.clock,
      signal: this.abortCtl,
      secrets: this.secrets,
      append: async (r) => {
        await this.append(r);
      },
      nextCmd: () => ++this.cmdCounter,
      ...(this.deps.onOutput ? { onOutput: this.deps.onOutput } : {}),
      onProgress: (step, p) => {
        void this.append({ type: 'progress', step, ...p, etaMs: null });
        this.deps.onProgress?.(step, { ...p, etaMs: null });
      },
      facts: this.state.facts,
      pendingFacts,
    };
    return makeStepContext(this.planCtx(), def.id, def.retry, deps);
  }

  private async flushFacts(step: string, pending: Facts): Promise<void> {
    if (Object.keys(pending).length === 0) return;
    await this.append({ type: 'facts', step, facts: { ...pending } });
    for (const k of Object.keys(pending)) Reflect.deleteProperty(pending, k);
  }

  /** Drives the run until it finishes, fails, or needs the operator. Returns the state at that point. */
  async run(): Promise<RunState> {
    if (this.running) throw new WizardInputError('run is already being driven');
    if (this.state.status === 'succeeded' || this.state.status === 'aborted') return this.snapshot;
    this.running = true;
    this.state.status = 'running';
    try {
      for (const def of this.deps.wizard.steps) {
        if (this.abortCtl.aborted) {
          await this.finish('aborted');
          return this.snapshot;
        }
        const st = this.stepState(def.id);
        if (st.status === 'done' || st.status === 'skipped') continue;
        if (this.pauseRequested) {
          this.pauseRequested = false;
          await this.append({ type: 'operator-decision', step: def.id, decision: 'pause', by: this.by });
          return await this.stop('paused', `paused before ${def.id}`, st);
        }
        const outcome = await this.runStep(def, st);
        if (outcome) return outcome;
      }
      await this.finish('succeeded');
      return this.snapshot;
    } finally {
      this.running = false;
    }
  }

  /** Returns a RunState when the run must stop, undefined when the step is done or skipped. */
  private async runStep(def: StepDef<P>, st: StepState): Promise<RunState | undefined> {
    const pending: Facts = {};
    const ctx = this.ctxFor(def, pending);
    // 1. Unknown (crash / broken connection mid-command) or failed: verify first, never blindly re-run.
    const unsettled = st.status === 'unknown' || st.status === 'failed' || st.status === 'waiting-decision';
    if (unsettled && !st.rerunAllowed) {
      const v = await this.safeVerify(def, ctx, pending);
      if (v.ok) {
        // A manual step the operator has said done again after a refused "done" is simply verified, not recovered.
        const afterCrash = !(def.manual && st.manualDone);
        await this.append({ type: 'verified', step: def.id, ok: true, evidence: v.evidence, afterCrash });
        await this.append({ type: 'step-finished', step: def.id, status: 'done' });
        st.status = 'done';
        return undefined;
      }
      const what =
        st.status === 'failed' || st.lastFailure
          ? `failed (${st.lastFailure?.reason ?? 'see journal'})`
          : 'was interrupted';
      return this.stop(
        'waiting-decision',
        `step ${def.id} ${what} and its verification says it is not done: ${v.evidence}. Re-run it, skip it with a reason, or abort.`,
        st,
      );
    }
    // Steps that do not apply to these parameters (no OpenStack given, nothing to fence) are skipped on record.
    const notApplicable = def.skipIf?.(this.planCtx());
    if (notApplicable !== undefined) {
      await this.append({ type: 'step-finished', step: def.id, status: 'skipped', reason: notApplicable });
      st.status = 'skipped';
      st.skipReason = notApplicable;
      return undefined;
    }
    // 2. Typed confirmation of destructive steps.
    if (def.risk === 'destructive' && !st.confirmed) {
      const c = this.confirmationFor(def.id);
      const supplied = this.confirmations[def.id];
      if (c && supplied !== undefined && supplied === c.expected) {
        await this.append({
          type: 'operator-decision',
          step: def.id,
          decision: 'confirm',
          typed: supplied,
          by: `${this.by} (flag)`,
        });
        st.confirmed = true;
      } else {
        const why = supplied !== undefined ? ` (supplied "${supplied}" does not match)` : '';
        return this.stop(
          'waiting-confirmation',
          `${c?.prompt ?? 'confirm'}: type "${c?.expected ?? def.id}"${why}`,
          st,
        );
      }
    }
    // 3. Manual steps: show instructions, stop; verify once the operator says done.
    if (def.manual && !st.manualDone) {
      await this.append({
        type: 'step-planned',
        step: def.id,
        phase: def.phase,
        risk: def.risk,
        commands: def.plan(this.planCtx()),
      });
      return this.stop('waiting-manual', def.manual.instructions(this.planCtx()), st);
    }
    return this.driveStep(def, st, ctx, pending);
  }

  /**
   * Execute, wait, verify. A broken connection does not fail the step: the run pauses ('reconnecting'),
   * reconnects with backoff, verifies, and goes on from where it is safe to (see recoverConnection).
   */
  private async driveStep(
    def: StepDef<P>,
    st: StepState,
    ctx: StepContext<P>,
    pending: Facts,
  ): Promise<RunState | undefined> {
    let from: 'start' | 'wait' = 'start';
    for (let recoveries = 0; ; recoveries++) {
      const where: { phase: StepPhase } = { phase: 'preconditions' };
      try {
        if (from === 'start' && !def.manual) await this.executeStep(def, ctx, pending, where);
        if (def.wait) {
          where.phase = 'wait';
          await this.waitStep(def, ctx, pending);
        }
        where.phase = 'verify';
        const v = await def.verify(ctx);
        if (v.facts) ctx.setFacts(v.facts);
        await this.flushFacts(def.id, pending);
        if (!v.ok) throw new StepFailedError(`verification failed for ${def.id}`, v.evidence);
        await this.append({ type: 'verified', step: def.id, ok: true, evidence: v.evidence });
        await this.append({ type: 'step-finished', step: def.id, status: 'done' });
        st.status = 'done';
        return undefined;
      } catch (e) {
        await this.flushFacts(def.id, pending);
        if (!(e instanceof TransportError) || this.abortCtl.aborted) return this.onStepError(def, st, ctx, pending, e);
        const next = await this.recoverConnection({ def, st, ctx, pending, error: e, phase: where.phase, recoveries });
        if (next === 'start' || next === 'wait') {
          from = next;
          continue;
        }
        return next;
      }
    }
  }

  private get reconnectPolicy(): ReconnectPolicy {
    return { ...DEFAULT_RECONNECT, ...(this.deps.reconnect ?? {}) };
  }

  /**
   * The connection broke mid-step. Pause with the reason, reconnect with backoff by running the step's verify
   * (read-only) until it gets through, then: done → go on; not done → resume polling (a wait), start the step
   * again (nothing was changed yet: preconditions, or a read-only step), or stop for the operator when a change
   * was in flight (an intent without a result is unknown: never re-sent blindly).
   */
  private async recoverConnection(o: {
    def: StepDef<P>;
    st: StepState;
    ctx: StepContext<P>;
    pending: Facts;
    error: TransportError;
    phase: StepPhase;
    recoveries: number;
  }): Promise<RunState | undefined | 'start' | 'wait'> {
    const { def, st, ctx, pending, error: e, phase } = o;
    const policy = this.reconnectPolicy;
    const host = e.host ?? 'a host';
    const inDoubt = phase === 'execute' && (e.purpose === undefined || e.purpose === 'execute');
    const during =
      phase === 'wait' ? 'while polling' : inDoubt ? `while \`${describeArgv(e.argv ?? [])}\` ran` : `during ${phase}`;
    if (o.recoveries >= policy.maxRecoveriesPerStep) {
      st.status = 'unknown';
      return this.stop(
        'waiting-decision',
        `step ${def.id}: the connection to ${host} broke ${o.recoveries + 1} times during this step (last ${during}: ${e.message}). Check the network, then resume (the step is verified first), skip it with a reason, or abort.`,
        st,
      );
    }
    const message = `connection to ${host} lost in ${def.id} ${during}: ${e.message}. Reconnecting with backoff; the step is verified before anything is re-run.`;
    await this.append({ type: 'run-paused', status: 'reconnecting', step: def.id, message });
    this.state.status = 'reconnecting';
    this.state.lastMessage = message;
    let out;
    try {
      out = await verifyReconnecting({
        verify: () => def.verify(ctx),
        clock: this.deps.clock,
        signal: this.abortCtl,
        policy,
        waitFirst: true,
        onAttemptFailed: (n, delay, err) =>
          this.deps.onProgress?.(def.id, {
            done: 0,
            total: 0,
            message: `reconnecting to ${err.host ?? host}: attempt ${n} failed (${err.message}); next in ${formatDuration(delay)}`,
            etaMs: null,
          }),
      });
    } catch (err) {
      return this.onStepError(def, st, ctx, pending, err);
    }
    if (out.kind !== 'verified') {
      st.status = 'unknown';
      st.rerunAllowed = false;
      const why =
        out.kind === 'gave-up'
          ? `the connection to ${host} did not come back within ${formatDuration(out.ms)} (${out.attempts} attempts; last: ${out.lastError})`
          : `the verification could not run after reconnecting: ${out.message}`;
      return this.stop(
        'waiting-decision',
        `step ${def.id}: ${why}. Its state is unknown: resume once the host answers (the step is verified first), skip it with a reason, or abort.`,
        st,
      );
    }
    const v = out.v;
    if (v.facts) ctx.setFacts(v.facts);
    await this.flushFacts(def.id, pending);
    await this.append({
      type: 'run-resumed',
      reason: `reconnected after ${formatDuration(out.ms)} (${out.attempts} verification attempt${out.attempts === 1 ? '' : 's'}); ${def.id} ${v.ok ? 'verified done' : 'not done yet'}: ${v.evidence}`,
    });
    this.state.status = 'running';
    if (v.ok) {
      await this.append({ type: 'verified', step: def.id, ok: true, evidence: v.evidence, afterReconnect: true });
      await this.append({ type: 'step-finished', step: def.id, status: 'done' });
      st.status = 'done';
      return undefined;
    }
    // A wait's execute had finished (every command answered): only the read-only polling was cut short.
    if (phase === 'wait') return 'wait';
    // Nothing was sent that changes anything: starting the step again is what a first run would do.
    if (phase === 'preconditions' || def.risk === 'read') return 'start';
    if (phase === 'verify')
      return this.onStepError(
        def,
        st,
        ctx,
        pending,
        new StepFailedError(`verification failed for ${def.id}`, v.evidence),
      );
    st.status = 'unknown';
    st.rerunAllowed = false;
    return this.stop(
      'waiting-decision',
      `step ${def.id}: the connection to ${host} broke ${during}; reconnected, and the verification says the step is not done (${v.evidence}). The change may or may not have been made: re-run the step, skip it with a reason, or abort.`,
      st,
    );
  }

  private async executeStep(
    def: StepDef<P>,
    ctx: StepContext<P>,
    pending: Facts,
    where: { phase: StepPhase },
  ): Promise<void> {
    const commands = def.plan(this.planCtx());
    await this.append({ type: 'step-planned', step: def.id, phase: def.phase, risk: def.risk, commands });
    if (def.preconditions) {
      const checks = await def.preconditions(ctx);
      const ok = checks.every((c) => c.ok || c.severity === 'warning');
      await this.append({ type: 'precondition-result', step: def.id, checks, ok });
      await this.flushFacts(def.id, pending);
      if (!ok) {
        const bad = checks.filter((c) => !c.ok && c.severity !== 'warning');
        throw new StepFailedError(
          `preconditions of ${def.id} not met: ${bad.map((c) => c.name).join(', ')}`,
          bad.map((c) => `${c.name}: ${c.evidence}`).join('\n'),
        );
      }
    }
    where.phase = 'execute';
    if (def.execute) {
      await def.execute(ctx);
    } else {
      await runPlanned(ctx, commands);
    }
    await this.flushFacts(def.id, pending);
  }

  private async waitStep(def: StepDef<P>, ctx: StepContext<P>, pending: Facts): Promise<void> {
    const w = def.wait;
    if (!w) return;
    const eta = new EtaEstimator();
    const start = this.deps.clock.now();
    let lastKey = '';
    let lastWrite = 0;
    for (;;) {
      const obs = await w.poll(ctx);
      const now = this.deps.clock.now();
      const etaMs = eta.observe(now, obs.progress.done, obs.progress.total);
      const key = `${obs.progress.done}/${obs.progress.total} ${obs.progress.message}`;
      // Progress goes to the journal when it changes, and every 30 s as a heartbeat.
      if (key !== lastKey || now - lastWrite >= 30_000 || obs.done) {
        await this.append({ type: 'progress', step: def.id, ...obs.progress, etaMs });
        lastKey = key;
        lastWrite = now;
      }
      this.deps.onProgress?.(def.id, { ...obs.progress, etaMs });
      if (obs.done) break;
      const limit = w.timeoutFrom?.(this.planCtx()) ?? w.timeoutMs;
      if (now - start >= limit)
        throw new StepFailedError(`timed out after ${Math.round(limit / 1000)} s waiting in ${def.id}`, obs.evidence);
      await this.deps.clock.sleep(w.intervalMs, this.abortCtl);
    }
    await this.flushFacts(def.id, pending);
  }

  /** Verification after a crash: reconnects with backoff when the host is not reachable yet. */
  private async safeVerify(
    def: StepDef<P>,
    ctx: StepContext<P>,
    pending: Facts,
  ): Promise<{ ok: boolean; evidence: string }> {
    const out = await verifyReconnecting({
      verify: () => def.verify(ctx),
      clock: this.deps.clock,
      signal: this.abortCtl,
      policy: this.reconnectPolicy,
      waitFirst: false,
      onAttemptFailed: (n, delay, err) =>
        this.deps.onProgress?.(def.id, {
          done: 0,
          total: 0,
          message: `verifying ${def.id}: ${err.message}; attempt ${n + 1} in ${formatDuration(delay)}`,
          etaMs: null,
        }),
    }).catch((e: unknown) => ({ kind: 'error' as const, message: errorMessage(e) }));
    if (out.kind === 'verified') {
      if (out.v.facts) ctx.setFacts(out.v.facts);
      await this.flushFacts(def.id, pending);
      return out.v;
    }
    const why = out.kind === 'gave-up' ? `${out.lastError} (${out.attempts} attempts)` : out.message;
    return { ok: false, evidence: `verification could not run: ${why}` };
  }

  private async onStepError(
    def: StepDef<P>,
    st: StepState,
    ctx: StepContext<P>,
    pending: Facts,
    e: unknown,
  ): Promise<RunState | undefined> {
    if (this.abortCtl.aborted) {
      await this.append({ type: 'failed', step: def.id, reason: 'aborted by the operator', evidence: errorMessage(e) });
      st.status = 'failed';
      await this.finish('aborted');
      return this.snapshot;
    }
    const reason = errorMessage(e);
    const evidence = e instanceof StepFailedError ? e.evidence : '';
    await this.append({ type: 'failed', step: def.id, reason, evidence });
    st.status = 'failed';
    st.rerunAllowed = false;
    st.lastFailure = { reason, evidence };
    return this.stop('failed', `step ${def.id} failed: ${reason}`, st);
  }
}

/** An argv short enough for a message: the action is at the end, after the connection options. */
export function describeArgv(argv: string[], max = 160): string {
  const line = argv.join(' ');
  if (line.length <= max) return line || 'a command';
  const head = argv.slice(0, 2).join(' ');
  return `${head} … ${line.slice(line.length - (max - head.length - 3))}`;
}

/** The default execute: every planned command, in order, with secrets wired from and to their slots. */
export async function runPlanned<P>(ctx: StepContext<P>, commands: PlannedCommand[]): Promise<void> {
  for (const c of commands) {
    if (c.placeholder)
      throw new StepFailedError(`plan still has placeholders (${c.argv.join(' ')}): discovery did not run`);
    const stdin = c.stdinSecret ? ctx.secrets.get(c.stdinSecret) : undefined;
    if (c.stdinSecret && !stdin)
      throw new StepFailedError(
        `secret ${c.stdinSecret} is not available (secrets never survive a restart): re-run the step that produces it`,
      );
    const res = await ctx.run(c.host, c.argv, {
      ...(stdin ? { stdin } : {}),
      ...(c.captureSecret ? { secretOutput: true } : {}),
      ...(c.okExitCodes ? { okExitCodes: c.okExitCodes } : {}),
      ...(c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}),
      ...(c.note ? { note: c.note } : {}),
    });
    if (c.captureSecret && res.secret) ctx.secrets.set(c.captureSecret, res.secret);
  }
}
