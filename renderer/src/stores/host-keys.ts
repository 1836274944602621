import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { HostKeyPrompt, KnownHostEntry } from '../../../core/common/contract/index';
import { api, call, errorMessage, onApiError } from '../api';

/** A connection core refused because the host presented a different key than the one on record. */
export interface HostKeyRefusal {
  message: string;
  detail: Record<string, unknown>;
  at: string;
}

export const useHostKeysStore = defineStore('hostKeys', () => {
  const prompts = ref<HostKeyPrompt[]>([]);
  const refusals = ref<HostKeyRefusal[]>([]);
  const known = ref<KnownHostEntry[]>([]);
  const error = ref<string | null>(null);

  api.events.on('hostkey.prompt', (p) => {
    prompts.value.push(p);
  });
  onApiError((err) => {
    if (err.code === 'host-key-changed')
      refusals.value.push({ message: err.message, detail: err.detail ?? {}, at: new Date().toISOString() });
  });

  async function decide(promptId: string, accept: boolean): Promise<void> {
    prompts.value = prompts.value.filter((p) => p.promptId !== promptId);
    try {
      await call(api.hostKeys.decide({ promptId, accept }));
      await refresh();
    } catch (err) {
      error.value = errorMessage(err);
    }
  }
  function dismissRefusal(): void {
    refusals.value.shift();
  }
  async function refresh(): Promise<void> {
    try {
      known.value = await call(api.hostKeys.list());
    } catch (err) {
      error.value = errorMessage(err);
    }
  }
  async function forget(e: KnownHostEntry): Promise<void> {
    try {
      await call(api.hostKeys.remove({ host: e.host, port: e.port, keyType: e.keyType }));
      await refresh();
    } catch (err) {
      error.value = errorMessage(err);
    }
  }
  async function importKnownHosts(): Promise<number | null> {
    try {
      const r = await call(api.hostKeys.importKnownHosts({}));
      await refresh();
      return r.imported;
    } catch (err) {
      error.value = errorMessage(err);
      return null;
    }
  }

  return { prompts, refusals, known, error, decide, dismissRefusal, refresh, forget, importKnownHosts };
});
