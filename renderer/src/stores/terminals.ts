import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { TerminalInfo } from '../../../core/common/contract/index';
import { api, call, errorMessage } from '../api';

export interface TerminalTab extends TerminalInfo {
  exited: { exitCode: number | null; signal: string | null } | null;
}

type Sink = (data: string) => void;

/**
 * Open terminal tabs. Output events are routed to the pane that owns the session; output arriving before the pane
 * has mounted is held (it is already counted against flow control, so it cannot grow without bound).
 */
export const useTerminalsStore = defineStore('terminals', () => {
  const tabs = ref<TerminalTab[]>([]);
  const active = ref<string | null>(null);
  const error = ref<string | null>(null);
  const opening = ref(false);
  const sinks = shallowRef(new Map<string, Sink>());
  const held = new Map<string, string[]>();

  api.events.on('terminal.data', ({ id, data }) => {
    const sink = sinks.value.get(id);
    if (sink) sink(data);
    else {
      const h = held.get(id) ?? [];
      h.push(data);
      held.set(id, h);
    }
  });
  api.events.on('terminal.exit', ({ id, exitCode, signal }) => {
    const tab = tabs.value.find((t) => t.id === id);
    if (tab) tab.exited = { exitCode, signal };
  });

  function attach(id: string, sink: Sink): () => void {
    sinks.value.set(id, sink);
    for (const d of held.get(id) ?? []) sink(d);
    held.delete(id);
    return () => sinks.value.delete(id);
  }

  async function open(
    target: { kind: 'ssh'; hostId: string } | { kind: 'local' },
    size = { cols: 120, rows: 32 },
  ): Promise<TerminalTab | null> {
    opening.value = true;
    error.value = null;
    try {
      const info = await call(api.terminal.open({ ...target, ...size }));
      const tab: TerminalTab = { ...info, exited: null };
      tabs.value.push(tab);
      active.value = info.id;
      return tab;
    } catch (err) {
      error.value = errorMessage(err);
      return null;
    } finally {
      opening.value = false;
    }
  }

  async function close(id: string): Promise<void> {
    const tab = tabs.value.find((t) => t.id === id);
    if (tab && !tab.exited) await api.terminal.close(id);
    tabs.value = tabs.value.filter((t) => t.id !== id);
    held.delete(id);
    if (active.value === id) active.value = tabs.value.at(-1)?.id ?? null;
  }

  return { tabs, active, error, opening, attach, open, close };
});
