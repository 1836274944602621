/**
 * Domain `wizard`: guided runbooks. `plan` is the dry run; `start`/`resume` drive a run in the background and
 * return at once (progress arrives as `wizard.record` / `wizard.output` / `wizard.progress` events); operator
 * decisions (`confirm`, `skip`, `rerun`, `manualDone`, `pause`, `abort`) are journaled; `run` and `report` read the
 * journal. Parameters are validated by the wizard's own schema in core.
 */
import { z } from 'zod';
import type { PlannedStep } from '../wizard/define';
import type { JournalRecord, RunState, RunSummary } from '../wizard/journal';
import type { RunTimings } from '../wizard/report';
import { method } from './define';

export interface WizardInfo {
  id: string;
  title: string;
  description: string;
  phases: string[];
  steps: number;
}
export interface WizardRunDetail {
  state: RunState;
  records: JournalRecord[];
  timings: RunTimings;
}

const id = z.string().min(1).max(200);
const runId = z.string().regex(/^[0-9TZ]+-[a-z0-9-]+$/);
const step = z.string().regex(/^[a-z0-9][a-z0-9-]*$/);
const confirmations = z.record(step, z.string().max(200)).optional();

export const wizardDomain = {
  list: method<WizardInfo[]>()(z.tuple([])),
  plan: method<{ steps: PlannedStep[] }>()(
    z.tuple([z.object({ wizard: id, params: z.unknown(), discover: z.boolean().optional() })]),
  ),
  start: method<RunState>()(z.tuple([z.object({ wizard: id, params: z.unknown(), confirmations })])),
  resume: method<RunState>()(z.tuple([z.object({ runId, confirmations })])),
  pause: method<null>()(z.tuple([z.object({ runId })])),
  abort: method<null>()(z.tuple([z.object({ runId, reason: z.string().min(3).max(2000) })])),
  skip: method<null>()(z.tuple([z.object({ runId, step, reason: z.string().min(3).max(2000) })])),
  confirm: method<null>()(z.tuple([z.object({ runId, step, typed: z.string().max(200) })])),
  rerun: method<null>()(z.tuple([z.object({ runId, step })])),
  manualDone: method<null>()(z.tuple([z.object({ runId, step, note: z.string().max(2000).optional() })])),
  runs: method<RunSummary[]>()(z.tuple([])),
  run: method<WizardRunDetail>()(z.tuple([z.object({ runId })])),
  report: method<{ text: string }>()(z.tuple([z.object({ runId, format: z.enum(['markdown', 'html']) })])),
};

export interface WizardEvents {
  /** Every journal record as it is written (the view rebuilds its state from these). */
  'wizard.record': { runId: string; record: JournalRecord };
  /** Live command output (cephx keys already scrubbed; secret outputs never sent). */
  'wizard.output': { runId: string; step: string; cmd: number; stream: 'stdout' | 'stderr'; chunk: string };
  'wizard.progress': {
    runId: string;
    step: string;
    done: number;
    total: number;
    message: string;
    etaMs: number | null;
  };
}
