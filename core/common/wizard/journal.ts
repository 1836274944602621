/**
 * Journal records (one JSON object per line, append-only, fsynced by the store) and the reconstruction of a run's
 * state from them. The record written BEFORE a command is sent (command-intent) is what makes crash recovery
 * honest: an intent without a result means "we do not know whether it ran", so resume verifies first.
 */
import type { Check, Facts, PlannedCommand, Risk, StepStatus } from './types';

interface Base {
  seq: number;
  /** ISO time. */
  ts: string;
  runId: string;
}

export type OperatorDecisionKind = 'confirm' | 'skip' | 'abort' | 'pause' | 'rerun' | 'manual-done' | 'resume';

export type JournalRecord = Base &
  (
    | {
        type: 'run-started';
        wizard: string;
        title: string;
        params: unknown;
        phases: string[];
        downtime?: { from: string; to: string };
        steps: { id: string; title: string; phase: string; risk: Risk }[];
      }
    | { type: 'run-resumed'; reason: string }
    | { type: 'step-planned'; step: string; phase: string; risk: Risk; commands: PlannedCommand[] }
    | { type: 'precondition-result'; step: string; checks: Check[]; ok: boolean }
    | {
        type: 'command-intent';
        step: string;
        cmd: number;
        host: string;
        argv: string[];
        purpose: string;
        attempt: number;
        stdin?: string;
        note?: string;
      }
    | {
        type: 'command-result';
        step: string;
        cmd: number;
        exitCode: number | null;
        signal: string | null;
        stdout: string;
        stderr: string;
        durationMs: number;
        timedOut: boolean;
        truncated: boolean;
        error?: string;
      }
    | { type: 'progress'; step: string; done: number; total: number; message: string; etaMs: number | null }
    | { type: 'facts'; step: string; facts: Facts }
    | {
        type: 'verified';
        step: string;
        ok: boolean;
        evidence: string;
        afterCrash?: boolean;
        /** Verified after the connection broke mid-step and came back (the run did not stop). */
        afterReconnect?: boolean;
      }
    | { type: 'failed'; step: string; reason: string; evidence: string }
    | { type: 'step-finished'; step: string; status: 'done' | 'skipped'; reason?: string }
    | {
        type: 'operator-decision';
        step?: string;
        decision: OperatorDecisionKind;
        reason?: string;
        typed?: string;
        by: string;
      }
    | { type: 'run-paused'; step?: string; status: RunStatus; message: string }
    | { type: 'run-finished'; status: 'succeeded' | 'aborted' }
  );

export type JournalRecordType = JournalRecord['type'];
export type RecordOf<T extends JournalRecordType> = Extract<JournalRecord, { type: T }>;
/** A record before the store stamps seq/ts/runId. */
export type NewRecord = JournalRecord extends infer R
  ? R extends JournalRecord
    ? Omit<R, 'seq' | 'ts' | 'runId'>
    : never
  : never;

export type RunStatus =
  | 'running'
  | 'paused'
  | 'failed'
  | 'waiting-confirmation'
  | 'waiting-manual'
  | 'waiting-decision'
  /** A connection broke mid-step: the engine is reconnecting with backoff, then verifies before going on. */
  | 'reconnecting'
  | 'succeeded'
  | 'aborted'
  /** The process died while the run was running (no run-paused / run-finished record). */
  | 'interrupted';

/** Where the journal goes. The node store appends a line and fsyncs before returning. */
export interface JournalSink {
  append(record: NewRecord): Promise<JournalRecord>;
}

export interface StepState {
  id: string;
  status: StepStatus;
  /** Set when status is unknown: the command whose result never arrived. */
  openIntent?: RecordOf<'command-intent'>;
  lastFailure?: { reason: string; evidence: string };
  confirmed?: boolean;
  rerunAllowed?: boolean;
  manualDone?: boolean;
  skipReason?: string;
}

export interface RunState {
  runId: string;
  wizard: string;
  title: string;
  params: unknown;
  status: RunStatus;
  steps: StepState[];
  facts: Facts;
  startedAt: string;
  updatedAt: string;
  lastMessage?: string;
}

/** One line of the runs list. */
export interface RunSummary {
  runId: string;
  wizard: string;
  title: string;
  status: RunStatus;
  startedAt: string;
  updatedAt: string;
  stepsDone: number;
  stepsTotal: number;
  message?: string;
}

/** Rebuilds a run's state from its records (the journal is the only source of truth). */
export function reconstruct(records: JournalRecord[]): RunState {
  const first = records[0];
  if (!first || first.type !== 'run-started') throw new Error('journal does not start with run-started');
  const steps = new Map<string, StepState>(first.steps.map((s) => [s.id, { id: s.id, status: 'pending' }]));
  const state: RunState = {
    runId: first.runId,
    wizard: first.wizard,
    title: first.title,
    params: first.params,
    status: 'running',
    steps: [...steps.values()],
    facts: {},
    startedAt: first.ts,
    updatedAt: first.ts,
  };
  const open = new Map<string, RecordOf<'command-intent'>>();
  for (const r of records) {
    state.updatedAt = r.ts;
    const st = 'step' in r && typeof r.step === 'string' ? steps.get(r.step) : undefined;
    switch (r.type) {
      case 'run-resumed':
        state.status = 'running';
        break;
      case 'step-planned':
        if (st && st.status !== 'done' && st.status !== 'skipped') {
          st.status = 'running';
          // A re-run permission is used up by the attempt it allowed.
          st.rerunAllowed = false;
        }
        break;
      case 'command-intent':
        open.set(`${r.step}#${r.cmd}`, r);
        break;
      case 'command-result':
        open.delete(`${r.step}#${r.cmd}`);
        break;
      case 'facts':
        Object.assign(state.facts, r.facts);
        break;
      case 'verified':
        if (st && r.ok) st.status = 'done';
        break;
      case 'failed':
        if (st) {
          st.status = 'failed';
          st.lastFailure = { reason: r.reason, evidence: r.evidence };
          st.manualDone = false;
        }
        break;
      case 'step-finished':
        if (st) {
          st.status = r.status;
          if (r.reason !== undefined) st.skipReason = r.reason;
        }
        break;
      case 'operator-decision':
        applyDecision(st, r);
        break;
      case 'run-paused':
        state.status = r.status;
        state.lastMessage = r.message;
        if (
          st &&
          (r.status === 'waiting-confirmation' || r.status === 'waiting-manual' || r.status === 'waiting-decision')
        ) {
          st.status = r.status;
        }
        break;
      case 'run-finished':
        state.status = r.status;
        break;
      default:
        break;
    }
  }
  for (const intent of open.values()) {
    const st = steps.get(intent.step);
    if (st && st.status !== 'done' && st.status !== 'skipped') {
      st.status = 'unknown';
      st.openIntent = intent;
    }
  }
  // A journal ending while running (or while reconnecting) means the process died: nobody drives the run now.
  if (state.status === 'running' || state.status === 'reconnecting') state.status = 'interrupted';
  // A step that was running when the process died, with all its commands answered, is also unknown: its
  // verification never ran.
  if (state.status === 'interrupted') {
    for (const st of steps.values()) if (st.status === 'running') st.status = 'unknown';
  }
  return state;
}

function applyDecision(st: StepState | undefined, r: RecordOf<'operator-decision'>): void {
  if (!st) return;
  switch (r.decision) {
    case 'confirm':
      st.confirmed = true;
      break;
    case 'skip':
      st.status = 'skipped';
      if (r.reason !== undefined) st.skipReason = r.reason;
      break;
    case 'rerun':
      st.rerunAllowed = true;
      break;
    case 'manual-done':
      st.manualDone = true;
      break;
    default:
      break;
  }
}
