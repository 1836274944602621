import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ImageDetail, LagSeries, TopologySnapshot } from '../../../core/common/contract/index';
import type { GlanceMatrix } from '../../../core/common/topology/glance-matrix';
import type { Finding, Severity } from '../../../core/common/topology/health/finding';
import type { ImageNode } from '../../../core/common/topology/model';
import { api, call, errorMessage } from '../api';

/** One table row per logical image, flattened once per snapshot so filtering 20k rows is a plain array scan. */
export interface ImageRow {
  key: string;
  name: string;
  pool: string;
  mode: ImageNode['mode'];
  kind: ImageNode['openstack']['kind'];
  osName: string;
  primaries: string;
  sites: string;
  /** `site:state` per side, for display and search. */
  states: string;
  worst: Severity | 'ok';
  rpo: number | null;
  entriesBehind: number | null;
  syncPercent: number | null;
  search: string;
}

const RANK: Record<Severity | 'ok', number> = { error: 0, warning: 1, info: 2, ok: 3 };

export type SortKey = 'name' | 'pool' | 'mode' | 'kind' | 'worst' | 'rpo' | 'states';

/**
 * Topology view state: the last snapshot (full discovery, rarely) refreshed by summary passes (often), the
 * flattened image rows with filter/sort, the selected image's detail, the Glance matrix and the lag history.
 */
export const useTopologyStore = defineStore('topology', () => {
  const snapshot = shallowRef<TopologySnapshot | null>(null);
  const loading = ref<'discover' | 'refresh' | null>(null);
  const error = ref<string | null>(null);
  const tab = ref<'map' | 'images' | 'health' | 'glance' | 'lag'>('map');
  const text = ref('');
  const state = ref('');
  const health = ref<'' | Severity | 'ok'>('');
  const site = ref('');
  const kind = ref('');
  const sortKey = ref<SortKey>('worst');
  const sortAsc = ref(true);
  const selected = ref<string | null>(null);
  const detail = shallowRef<ImageDetail | null>(null);
  const detailLoading = ref(false);
  const matrix = shallowRef<GlanceMatrix | null>(null);
  const history = shallowRef<LagSeries[]>([]);
  const autoRefresh = ref(true);
  let timer: ReturnType<typeof setInterval> | null = null;

  const findings = computed<Finding[]>(() => snapshot.value?.findings ?? []);
  const worstByImage = computed(() => {
    const m = new Map<string, Severity>();
    for (const f of findings.value) {
      if (!f.imageKey) continue;
      const cur = m.get(f.imageKey);
      if (!cur || RANK[f.severity] < RANK[cur]) m.set(f.imageKey, f.severity);
    }
    return m;
  });

  const rows = computed<ImageRow[]>(() => {
    const m = snapshot.value?.model;
    if (!m) return [];
    const worst = worstByImage.value;
    return m.images.map((i) => {
      const states = i.sides.map((s) => `${s.site}:${s.state ?? (s.mirrored ? '?' : 'not mirrored')}`).join(' ');
      const sync = i.sides.find((s) => s.syncPercent !== null)?.syncPercent ?? null;
      const osName = i.openstack.name ?? i.openstack.id ?? '';
      return {
        key: i.key,
        name: i.name,
        pool: i.pool,
        mode: i.mode,
        kind: i.openstack.kind,
        osName,
        primaries: i.primaries.join(','),
        sites: i.sides.map((s) => s.site).join(','),
        states,
        worst: worst.get(i.key) ?? 'ok',
        rpo: i.rpo?.seconds ?? null,
        entriesBehind: i.rpo?.entriesBehind ?? null,
        syncPercent: sync,
        search: `${i.name} ${i.pool} ${osName} ${i.globalId ?? ''} ${states}`.toLowerCase(),
      };
    });
  });

  // Sorted once per snapshot or sort change; a filter is then one order-preserving scan (sorting 20k rows on
  // every keystroke cost more than the scan itself).
  const sorted = computed<ImageRow[]>(() => {
    const k = sortKey.value;
    const dir = sortAsc.value ? 1 : -1;
    const val = (r: ImageRow): string | number => (k === 'worst' ? RANK[r.worst] : k === 'rpo' ? (r.rpo ?? -1) : r[k]);
    return [...rows.value].sort((a, b) => {
      const x = val(a);
      const y = val(b);
      return (x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : 1) * dir;
    });
  });

  const filtered = computed<ImageRow[]>(() => {
    const t = text.value.trim().toLowerCase();
    const st = state.value;
    const h = health.value;
    const si = site.value;
    const kd = kind.value;
    if (!t && !st && !h && !si && !kd) return sorted.value;
    return sorted.value.filter(
      (r) =>
        (!t || r.search.includes(t)) &&
        (!st || r.states.includes(st)) &&
        (!h || r.worst === h) &&
        (!si || r.sites.split(',').includes(si)) &&
        (!kd || r.kind === kd),
    );
  });

  const stateOptions = computed(() => {
    const s = new Set<string>();
    for (const i of snapshot.value?.model.images ?? []) for (const d of i.sides) if (d.state) s.add(d.state);
    return [...s].sort();
  });

  async function discover(): Promise<void> {
    loading.value = 'discover';
    error.value = null;
    try {
      snapshot.value = await call(api.topology.discover({}));
      await Promise.all([loadMatrix(), loadHistory()]);
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loading.value = null;
    }
  }

  async function refresh(): Promise<void> {
    if (loading.value) return;
    loading.value = 'refresh';
    try {
      snapshot.value = await call(api.topology.refresh({}));
      await loadHistory();
      error.value = null;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loading.value = null;
    }
  }

  async function loadMatrix(): Promise<void> {
    matrix.value = await call(api.topology.glanceMatrix());
  }
  async function loadHistory(keys?: string[]): Promise<void> {
    history.value = await call(api.topology.history(keys ? { keys } : {}));
  }

  async function select(key: string | null): Promise<void> {
    selected.value = key;
    detail.value = null;
    if (!key) return;
    detailLoading.value = true;
    try {
      detail.value = await call(api.topology.image({ key }));
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      detailLoading.value = false;
    }
  }

  /**
   * Summary refresh every 5 s (cheap: ~0.04 s per pool on the cluster; a pass never overlaps the previous one), so
   * a lost site shows as unreachable within 10 s (issue 6, measured in test/integration/dr.test.ts); full
   * discovery only on demand.
   */
  function startAuto(): void {
    stopAuto();
    timer = setInterval(() => {
      if (autoRefresh.value && snapshot.value) void refresh();
    }, 5_000);
  }
  function stopAuto(): void {
    if (timer) clearInterval(timer);
    timer = null;
  }

  function sortBy(k: SortKey): void {
    if (sortKey.value === k) sortAsc.value = !sortAsc.value;
    else {
      sortKey.value = k;
      sortAsc.value = true;
    }
  }

  return {
    snapshot,
    loading,
    error,
    tab,
    text,
    state,
    health,
    site,
    kind,
    sortKey,
    sortAsc,
    selected,
    detail,
    detailLoading,
    matrix,
    history,
    autoRefresh,
    findings,
    rows,
    filtered,
    stateOptions,
    discover,
    refresh,
    loadMatrix,
    loadHistory,
    select,
    startAuto,
    stopAuto,
    sortBy,
  };
});
