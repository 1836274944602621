/**
 * Wizard step types. A wizard is data: a list of steps, each a plain object. The engine (./engine.ts) is the only
 * control flow; steps never call each other, never sleep on their own and never prompt.
 */
import type { z } from 'zod';
import type { Inventory } from '../inventory/schema';
import type { AbortSignalLike, Clock, ExecResult } from '../ports';
import type { Secret } from './secret';

export type Risk = 'read' | 'change' | 'destructive';

/** Facts discovered or produced by steps (image lists, fsids, peer uuids): plain JSON, journaled, never secret. */
export type Facts = Record<string, unknown>;

/** One command exactly as it will be sent: host, argv, and where its stdin comes from. */
export interface PlannedCommand {
  host: string;
  argv: string[];
  /** Why this command (shown in the plan and the report). */
  note?: string;
  /** Name of a secret slot whose value is written to stdin (never argv). */
  stdinSecret?: string;
  /** The command prints a secret (a token): its stdout is kept in this slot and journaled as "[redacted]". */
  captureSecret?: string;
  /** Exit codes other than 0 that still count as "sent fine" (verify decides whether it worked). */
  okExitCodes?: number[];
  timeoutMs?: number;
  /** True when the argv holds placeholders because discovery has not run (plan preview only). */
  placeholder?: boolean;
}

/** What `plan` sees: pure inputs only. */
export interface PlanContext<P> {
  params: P;
  inventory: Inventory;
  facts: Facts;
}

export interface RunOptions {
  stdin?: Secret;
  /** Keep stdout as a secret: the journal gets "[redacted]" and the result's stdout is empty. */
  secretOutput?: boolean;
  timeoutMs?: number;
  okExitCodes?: number[];
  note?: string;
  /** 'verify' and 'precondition' commands are journaled too but marked as observation. */
  purpose?: 'execute' | 'verify' | 'precondition' | 'discover' | 'poll';
}

export interface CommandOutcome extends ExecResult {
  /** Present when the command was run with secretOutput. */
  secret?: Secret;
}

/** What preconditions, execute, verify and wait polls get. */
export interface StepContext<P> extends PlanContext<P> {
  stepId: string;
  /** Runs one argv on one host; writes the intent to the journal BEFORE sending and the result after. */
  run(host: string, argv: string[], options?: RunOptions): Promise<CommandOutcome>;
  /** Records facts for later steps (journaled, so a resumed run has them). Never pass a Secret here. */
  setFacts(facts: Facts): void;
  /** Secret slots (bootstrap token): memory only, never journaled, gone after a crash. */
  secrets: Map<string, Secret>;
  progress(p: ProgressUpdate): void;
  clock: Clock;
  signal: AbortSignalLike;
}

export interface ProgressUpdate {
  done: number;
  total: number;
  message: string;
}

export interface Check {
  name: string;
  ok: boolean;
  /** 'warning' checks are recorded and shown but do not stop the run. */
  severity?: 'error' | 'warning';
  evidence: string;
}

export interface VerifyResult {
  ok: boolean;
  evidence: string;
  /** Facts the verification observed (recorded with the verification). */
  facts?: Facts;
}

export interface WaitSpec<P> {
  /** One observation; `done` ends the wait. Polls only read. */
  poll(ctx: StepContext<P>): Promise<{ done: boolean; progress: ProgressUpdate; evidence: string }>;
  intervalMs: number;
  timeoutMs: number;
  /** Overrides timeoutMs from the parameters. */
  timeoutFrom?(ctx: PlanContext<P>): number;
}

export interface RetrySpec {
  /** Exit codes worth retrying (16 = EBUSY for promote right after demote, ceph-facts.md gotcha 6). */
  onExitCodes: number[];
  /** Total attempts including the first. */
  attempts: number;
  delayMs: number;
}

export interface ManualSpec<P> {
  /** What the operator does, step by step (Markdown). */
  instructions(ctx: PlanContext<P>): string;
  /** Host on which to open a terminal, and a command ready in it (not executed by the engine). */
  terminal?(ctx: PlanContext<P>): { host: string; command?: string } | undefined;
}

export interface StepDef<P> {
  /** Stable id: the journal key. Never rename a step of a released wizard. */
  id: string;
  title: string;
  phase: string;
  risk: Risk;
  /** Why the step exists (the operational reason), shown in the plan. */
  description?: string;
  /** Pure: the exact commands per host. The default execute runs exactly these. */
  plan(ctx: PlanContext<P>): PlannedCommand[];
  preconditions?(ctx: StepContext<P>): Promise<Check[]>;
  /** Default: run every planned command in order (with `retry` when declared). */
  execute?(ctx: StepContext<P>): Promise<void>;
  /** Re-observes the real state. Required: an exit code alone proves nothing. */
  verify(ctx: StepContext<P>): Promise<VerifyResult>;
  rollback?(ctx: StepContext<P>): Promise<void>;
  /** A long wait with progress and ETA (runs after execute, before verify). */
  wait?: WaitSpec<P>;
  retry?: RetrySpec;
  /** The operator does the work; the engine shows the instructions, stops, and verifies when told it is done. */
  manual?: ManualSpec<P>;
  /** Destructive steps: the name the operator must type (the cluster or pool name). */
  confirm?(ctx: PlanContext<P>): { expected: string; prompt: string };
  /** A reason when the step does not apply to these parameters (recorded as skipped with that reason). */
  skipIf?(ctx: PlanContext<P>): string | undefined;
}

export interface WizardDef<P> {
  id: string;
  title: string;
  description: string;
  params: z.ZodType<P>;
  /** Phases in order, for the report's wall time per phase. */
  phases: string[];
  /** Phases between which the downtime is measured (start of `from` to end of `to`). */
  downtime?: { from: string; to: string };
  steps: StepDef<P>[];
}

export type StepStatus =
  | 'pending'
  | 'running'
  | 'done'
  | 'skipped'
  | 'failed'
  /** A command intent without a result (crash): verify before anything else. */
  | 'unknown'
  | 'waiting-confirmation'
  | 'waiting-manual'
  | 'waiting-decision';
