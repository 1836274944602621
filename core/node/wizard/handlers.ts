/**
 * Handlers of the `wizard` contract domain over one WizardService. Wiring (core/node/host/handlers.ts):
 * `wizard: createWizardHandlers(wizardServiceFor(s, events))`.
 */
import { ApiErrorException, type HandlersOf } from '../../common/contract/define';
import type { wizardDomain } from '../../common/contract/wizard';
import type { ApiEventName, ApiEvents } from '../../common/contract/index';
import type { Inventory } from '../../common/inventory/schema';
import type { CommandRunner } from '../../common/ports';
import { WizardInputError } from '../../common/wizard/errors';
import { WizardService } from './service';

export type WizardHandlers<Ctx> = HandlersOf<{ wizard: typeof wizardDomain }, Ctx>['wizard'];

async function mapErrors<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof WizardInputError) throw new ApiErrorException('invalid-argument', e.message, { cause: e });
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ApiErrorException('not-found', 'no such run', { cause: e });
    throw e;
  }
}

/** One service per host runtime: it keeps the engines of runs being driven. */
export function wizardServiceFor(
  s: { ssh: CommandRunner; inventory: { get(): unknown } },
  events: { emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void },
  home?: string,
): WizardService {
  return new WizardService({
    ...(home ? { home } : {}),
    runner: s.ssh,
    operator: 'ui',
    inventory: async () => {
      const st = (await s.inventory.get()) as { inventory: Inventory | null; path: string };
      if (!st.inventory) throw new WizardInputError(`inventory ${st.path} is not valid`);
      return st.inventory;
    },
    runEvents: {
      record: (runId, record) => events.emit('wizard.record', { runId, record }),
      output: (runId, step, cmd, stream, chunk) => events.emit('wizard.output', { runId, step, cmd, stream, chunk }),
      progress: (runId, step, p) => events.emit('wizard.progress', { runId, step, ...p }),
    },
  });
}

export function createWizardHandlers<Ctx>(svc: WizardService): WizardHandlers<Ctx> {
  const ok = async (p: Promise<void>): Promise<null> => {
    await p;
    return null;
  };
  return {
    list: async () => svc.list(),
    plan: async (_c, o) =>
      mapErrors(() =>
        svc.plan(o.wizard, o.params, { discover: o.discover === true }).then((p) => ({ steps: p.steps })),
      ),
    start: async (_c, o) =>
      mapErrors(() =>
        svc.start(o.wizard, o.params, {
          background: true,
          ...(o.confirmations ? { confirmations: o.confirmations } : {}),
        }),
      ),
    resume: async (_c, o) =>
      mapErrors(() =>
        svc.resume(o.runId, { background: true, ...(o.confirmations ? { confirmations: o.confirmations } : {}) }),
      ),
    pause: async (_c, o) => mapErrors(() => ok(svc.pause(o.runId))),
    abort: async (_c, o) => mapErrors(() => ok(svc.abort(o.runId, o.reason))),
    skip: async (_c, o) => mapErrors(() => ok(svc.skip(o.runId, o.step, o.reason))),
    confirm: async (_c, o) => mapErrors(() => ok(svc.confirm(o.runId, o.step, o.typed))),
    rerun: async (_c, o) => mapErrors(() => ok(svc.rerun(o.runId, o.step))),
    manualDone: async (_c, o) => mapErrors(() => ok(svc.manualDone(o.runId, o.step, o.note))),
    runs: async () => svc.runs(),
    run: async (_c, o) => mapErrors(() => svc.detail(o.runId)),
    report: async (_c, o) => mapErrors(() => ({ text: svc.report(o.runId, o.format) })),
  };
}
