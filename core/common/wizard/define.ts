/**
 * `defineWizard`: checks a wizard's shape once, when it is defined (duplicate step ids, unknown phases, destructive
 * steps without a confirmation), so a broken runbook fails at load time rather than mid-migration.
 */
import type { Facts, PlanContext, PlannedCommand, Risk, WizardDef } from './types';
import type { Inventory } from '../inventory/schema';

export function defineWizard<P>(def: WizardDef<P>): WizardDef<P> {
  const ids = new Set<string>();
  for (const s of def.steps) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(s.id)) throw new Error(`wizard ${def.id}: step id ${s.id} must be kebab-case`);
    if (ids.has(s.id)) throw new Error(`wizard ${def.id}: duplicate step id ${s.id}`);
    ids.add(s.id);
    if (!def.phases.includes(s.phase)) throw new Error(`wizard ${def.id}: step ${s.id} has unknown phase ${s.phase}`);
    if (s.risk === 'destructive' && !s.confirm)
      throw new Error(`wizard ${def.id}: destructive step ${s.id} needs a typed confirmation`);
  }
  if (def.downtime && (!def.phases.includes(def.downtime.from) || !def.phases.includes(def.downtime.to))) {
    throw new Error(`wizard ${def.id}: downtime phases must be phases of the wizard`);
  }
  return def;
}

export interface PlannedStep {
  id: string;
  title: string;
  phase: string;
  risk: Risk;
  description?: string;
  commands: PlannedCommand[];
  manual?: { instructions: string; terminal?: { host: string; command?: string } };
  confirmation?: { expected: string; prompt: string };
  wait?: { intervalMs: number; timeoutMs: number };
  retry?: { onExitCodes: number[]; attempts: number; delayMs: number };
  /** True when some commands are placeholders (facts not discovered yet). */
  placeholders: boolean;
  /** Why the step will be skipped for these parameters. */
  notApplicable?: string;
}

/** The dry run: every step's exact commands per host, computed from parameters and (optional) discovered facts. */
export function planWizard<P>(def: WizardDef<P>, params: P, inventory: Inventory, facts: Facts = {}): PlannedStep[] {
  const ctx: PlanContext<P> = { params, inventory, facts };
  return def.steps.map((s) => {
    const notApplicable = s.skipIf?.(ctx);
    const commands = notApplicable === undefined ? s.plan(ctx) : [];
    const term = s.manual?.terminal?.(ctx);
    return {
      id: s.id,
      title: s.title,
      phase: s.phase,
      risk: s.risk,
      ...(s.description ? { description: s.description } : {}),
      commands,
      ...(s.manual
        ? { manual: { instructions: s.manual.instructions(ctx), ...(term ? { terminal: term } : {}) } }
        : {}),
      ...(s.confirm ? { confirmation: s.confirm(ctx) } : {}),
      ...(s.wait ? { wait: { intervalMs: s.wait.intervalMs, timeoutMs: s.wait.timeoutMs } } : {}),
      ...(s.retry ? { retry: s.retry } : {}),
      placeholders: commands.some((c) => c.placeholder === true),
      ...(notApplicable !== undefined ? { notApplicable } : {}),
    };
  });
}
