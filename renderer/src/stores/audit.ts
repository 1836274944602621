import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AuditEntry } from '../../../core/common/contract/index';
import { api, call, errorMessage } from '../api';

export const useAuditStore = defineStore('audit', () => {
  const entries = ref<AuditEntry[]>([]);
  const hostId = ref('');
  const text = ref('');
  const failedOnly = ref(false);
  const error = ref<string | null>(null);
  const loading = ref(false);

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const filter: { hostId?: string; text?: string; failedOnly?: boolean; limit: number } = { limit: 1000 };
      if (hostId.value) filter.hostId = hostId.value;
      if (text.value.trim()) filter.text = text.value.trim();
      if (failedOnly.value) filter.failedOnly = true;
      entries.value = await call(api.audit.list(filter));
      error.value = null;
    } catch (err) {
      error.value = errorMessage(err);
    } finally {
      loading.value = false;
    }
  }

  // New commands show up live when they match the current filter; a full refresh applies the server's filter.
  api.events.on('audit.appended', (e) => {
    if (hostId.value && e.hostId !== hostId.value) return;
    if (failedOnly.value && e.exitCode === 0 && !e.error) return;
    if (text.value.trim() && !e.argv.join(' ').includes(text.value.trim())) return;
    entries.value = [e, ...entries.value].slice(0, 1000);
  });

  return { entries, hostId, text, failedOnly, error, loading, refresh };
});
