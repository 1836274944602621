import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { isSeq, parseDocument } from 'yaml';
import type { InventoryProblem, InventoryState } from '../../../core/common/contract/index';
import type { Host, Inventory } from '../../../core/common/inventory/schema';
import { api, call, errorMessage } from '../api';

export interface NewSite {
  name: string;
  role: Inventory['sites'][number]['role'];
  description?: string;
}

const EMPTY = 'version: 1\nsites: []\nclusters: []\nhosts: []\n';

export const useInventoryStore = defineStore('inventory', () => {
  const saved = ref<InventoryState | null>(null);
  const draft = ref('');
  const problems = ref<InventoryProblem[]>([]);
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  const busy = ref(false);
  const dirty = computed(() => saved.value !== null && draft.value !== saved.value.text);
  const inventory = computed(() => saved.value?.inventory ?? null);
  const hostIds = computed(() => inventory.value?.hosts.map((h) => h.id) ?? []);

  async function load(): Promise<void> {
    try {
      saved.value = await call(api.inventory.get());
      draft.value = saved.value.text || EMPTY;
      problems.value = saved.value.errors;
      error.value = null;
    } catch (err) {
      error.value = errorMessage(err);
    }
  }

  let validateTimer: ReturnType<typeof setTimeout> | null = null;
  function edit(text: string): void {
    draft.value = text;
    if (validateTimer) clearTimeout(validateTimer);
    validateTimer = setTimeout(() => void validate(), 300);
  }
  async function validate(): Promise<void> {
    try {
      problems.value = await call(api.inventory.validate({ text: draft.value }));
    } catch (err) {
      error.value = errorMessage(err);
    }
  }

  /** Saves the draft; the host refuses invalid text and writes nothing, so the problems list is the answer. */
  async function save(): Promise<boolean> {
    busy.value = true;
    notice.value = null;
    try {
      const state = await call(api.inventory.save({ text: draft.value }));
      problems.value = state.errors;
      if (state.errors.length > 0) return false;
      saved.value = state;
      draft.value = state.text;
      notice.value = `saved ${state.path}`;
      error.value = null;
      return true;
    } catch (err) {
      error.value = errorMessage(err);
      return false;
    } finally {
      busy.value = false;
    }
  }

  /** Appends to a top-level list in the YAML draft, keeping the operator's comments and layout. */
  function appendTo(key: 'sites' | 'hosts', value: unknown): void {
    const doc = parseDocument(draft.value || EMPTY);
    if (doc.errors.length > 0) throw new Error(`fix the YAML first: ${doc.errors[0]?.message ?? 'parse error'}`);
    if (!doc.has(key)) doc.set(key, doc.createNode([]));
    const seq = doc.get(key, true);
    if (!isSeq(seq)) throw new Error(`"${key}" must be a list`);
    // `sites: []` parses as a flow sequence; appending to it would write everything on one line.
    seq.flow = false;
    seq.add(doc.createNode(value, { flow: false }));
    draft.value = doc.toString();
  }

  async function addSite(site: NewSite): Promise<boolean> {
    try {
      appendTo('sites', site.description ? site : { name: site.name, role: site.role });
    } catch (err) {
      error.value = errorMessage(err);
      return false;
    }
    return save();
  }

  async function addHosts(hosts: Host[]): Promise<boolean> {
    try {
      for (const h of hosts) appendTo('hosts', h);
    } catch (err) {
      error.value = errorMessage(err);
      return false;
    }
    return save();
  }

  async function importSshConfig(text?: string): Promise<Host[]> {
    try {
      return await call(api.inventory.importSshConfig(text === undefined ? {} : { text }));
    } catch (err) {
      error.value = errorMessage(err);
      return [];
    }
  }
  async function importClouds(text?: string): Promise<string[]> {
    try {
      return (await call(api.inventory.importCloudsYaml(text === undefined ? {} : { text }))).clouds;
    } catch (err) {
      error.value = errorMessage(err);
      return [];
    }
  }

  api.events.on('inventory.changed', () => {
    if (!dirty.value) void load();
  });

  return {
    saved,
    draft,
    problems,
    error,
    notice,
    busy,
    dirty,
    inventory,
    hostIds,
    load,
    edit,
    validate,
    save,
    addSite,
    addHosts,
    importSshConfig,
    importClouds,
  };
});
