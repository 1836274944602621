import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { WizardInfo, WizardRunDetail } from '../../../core/common/contract/index';
import type { PlannedStep } from '../../../core/common/wizard/define';
import type { JournalRecord, RunSummary } from '../../../core/common/wizard/journal';
import { displayArgv } from '../../../core/common/commands/quote';
import { api, call, errorMessage } from '../api';

export interface LiveProgress {
  step: string;
  done: number;
  total: number;
  message: string;
  etaMs: number | null;
}

/**
 * Wizards, their plans and runs. The open run's detail is re-read from the journal (the only truth) whenever a
 * record of that run arrives; live output and progress come from events and are kept per run, capped.
 */
export const useWizardsStore = defineStore('wizards', () => {
  const wizards = ref<WizardInfo[]>([]);
  const runs = ref<RunSummary[]>([]);
  const selectedWizard = ref<string>('ceph-migration');
  const paramsText = ref<string>(
    '{\n  "source": { "cluster": "site-a" },\n  "destination": { "cluster": "site-b" },\n  "pools": [{ "name": "volumes", "mode": "journal" }],\n  "mirrorDaemon": { "start": ["true"], "stop": ["true"], "isRunning": ["false"] }\n}',
  );
  const plan = ref<PlannedStep[] | null>(null);
  const openRunId = ref<string | null>(null);
  const detail = ref<WizardRunDetail | null>(null);
  const output = ref<string>('');
  const progress = ref<LiveProgress | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);

  const params = computed<unknown>(() => {
    try {
      return JSON.parse(paramsText.value) as unknown;
    } catch {
      return undefined;
    }
  });

  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  function scheduleDetail(): void {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void loadDetail();
    }, 150);
  }

  api.events.on('wizard.record', ({ runId, record }: { runId: string; record: JournalRecord }) => {
    if (record.type === 'run-paused' || record.type === 'run-finished' || record.type === 'run-started') {
      void call(api.wizard.runs())
        .then((r) => (runs.value = r))
        .catch((e: unknown) => (error.value = errorMessage(e)));
    }
    if (runId !== openRunId.value) return;
    if (record.type === 'command-intent')
      output.value += `\n$ [${record.host}] ${displayArgv(record.argv)}${record.stdin ? ` < ${record.stdin}` : ''}\n`;
    scheduleDetail();
  });
  api.events.on('wizard.output', ({ runId, chunk }) => {
    if (runId !== openRunId.value) return;
    output.value = (output.value + chunk).slice(-200_000);
  });
  api.events.on('wizard.progress', (p) => {
    if (p.runId !== openRunId.value) return;
    progress.value = { step: p.step, done: p.done, total: p.total, message: p.message, etaMs: p.etaMs };
  });

  async function guard<T>(f: () => Promise<T>): Promise<T | undefined> {
    busy.value = true;
    error.value = null;
    try {
      return await f();
    } catch (e) {
      error.value = errorMessage(e);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  const load = (): Promise<void> =>
    guard(async () => {
      wizards.value = await call(api.wizard.list());
      runs.value = await call(api.wizard.runs());
    }).then(() => undefined);

  const makePlan = (discover: boolean): Promise<void> =>
    guard(async () => {
      if (params.value === undefined) throw new Error('parameters are not valid JSON');
      plan.value = (
        await call(api.wizard.plan({ wizard: selectedWizard.value, params: params.value, discover }))
      ).steps;
    }).then(() => undefined);

  const start = (): Promise<void> =>
    guard(async () => {
      if (params.value === undefined) throw new Error('parameters are not valid JSON');
      const st = await call(api.wizard.start({ wizard: selectedWizard.value, params: params.value }));
      output.value = '';
      openRunId.value = st.runId;
      await loadDetail();
      runs.value = await call(api.wizard.runs());
    }).then(() => undefined);

  async function loadDetail(): Promise<void> {
    const id = openRunId.value;
    if (!id) return;
    try {
      detail.value = await call(api.wizard.run({ runId: id }));
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  async function open(runId: string): Promise<void> {
    openRunId.value = runId;
    output.value = '';
    progress.value = null;
    await loadDetail();
  }

  const act = (f: (runId: string) => Promise<unknown>): Promise<void> =>
    guard(async () => {
      const id = openRunId.value;
      if (!id) return;
      await f(id);
      await loadDetail();
      runs.value = await call(api.wizard.runs());
    }).then(() => undefined);

  return {
    wizards,
    runs,
    selectedWizard,
    paramsText,
    params,
    plan,
    openRunId,
    detail,
    output,
    progress,
    error,
    busy,
    load,
    makePlan,
    start,
    open,
    loadDetail,
    resume: () => act((runId) => call(api.wizard.resume({ runId }))),
    pause: () => act((runId) => call(api.wizard.pause({ runId }))),
    abort: (reason: string) => act((runId) => call(api.wizard.abort({ runId, reason }))),
    confirm: (step: string, typed: string) =>
      act(
        async (runId) => (await call(api.wizard.confirm({ runId, step, typed })), call(api.wizard.resume({ runId }))),
      ),
    skip: (step: string, reason: string) =>
      act(async (runId) => (await call(api.wizard.skip({ runId, step, reason })), call(api.wizard.resume({ runId })))),
    rerun: (step: string) =>
      act(async (runId) => (await call(api.wizard.rerun({ runId, step })), call(api.wizard.resume({ runId })))),
    manualDone: (step: string) =>
      act(async (runId) => (await call(api.wizard.manualDone({ runId, step })), call(api.wizard.resume({ runId })))),
    report: async (format: 'markdown' | 'html'): Promise<string | undefined> => {
      const id = openRunId.value;
      if (!id) return undefined;
      return guard(async () => (await call(api.wizard.report({ runId: id, format }))).text);
    },
  };
});
