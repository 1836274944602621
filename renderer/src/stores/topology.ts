import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef, watch } from 'vue';
import type { ImageDetail, LagSeries, TopologyOverview } from '../../../core/common/contract/index';
import type { GlanceMatrix } from '../../../core/common/topology/glance-matrix';
import type { Finding, Severity } from '../../../core/common/topology/health/finding';
import type { ImagePage, ImageQuery, ImageRow, ImageSortKey } from '../../../core/common/topology/image-index';
import { api, call, errorMessage } from '../api';

export type { ImageRow };
export type SortKey = ImageSortKey;

/** Rows fetched per request; the table shows ~30 and keeps a page or two around the viewport. */
const PAGE = 100;

/**
 * Topology view state: the overview of the last snapshot (full discovery, rarely; summary refresh, often), the
 * image table as a window over the host's index (filter and sort run there; only the rows around the viewport
 * are fetched and kept), the selected image's detail, the Glance matrix and the lag history.
 */
export const useTopologyStore = defineStore('topology', () => {
  const snapshot = shallowRef<TopologyOverview | null>(null);
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
  /** Full (verbose) scan in the background, rarely: image states, replay progress and the lag plot move with it. */
  const autoFull = ref(true);
  /** Seconds between background full scans: at least 60, and 5× the last scan's own duration (20k images). */
  const fullEverySec = ref(60);
  const lastFullAt = ref(0);
  let fullInFlight = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  /** Newer snapshots only: a summary answered after a full scan must not put the older state back. */
  function take(s: TopologyOverview): void {
    if (!snapshot.value || s.version >= snapshot.value.version) snapshot.value = s;
  }
  function noteFull(startedAt: number): void {
    lastFullAt.value = Date.now();
    fullEverySec.value = Math.max(60, Math.ceil((5 * (Date.now() - startedAt)) / 1000));
  }

  const findings = computed<Finding[]>(() => snapshot.value?.findings ?? []);
  const stateOptions = computed(() => snapshot.value?.stateOptions ?? []);

  // ---- the image window ----
  /** Rows by position in the current filter/sort; holes are not fetched yet. */
  const cache = shallowRef<(ImageRow | undefined)[]>([]);
  const matched = ref(0);
  const total = ref(0);
  /** Set once the first page of the current query has arrived (the count and rows are for it). */
  const pageReady = ref(false);
  let query = 0;
  let version = -1;
  const inFlight = new Set<number>();
  let visible: [number, number] = [0, 0];

  const currentFilter = (): ImageQuery => ({
    text: text.value,
    state: state.value,
    health: health.value,
    site: site.value,
    kind: kind.value as ImageQuery['kind'],
    sort: sortKey.value,
    asc: sortAsc.value,
  });

  function fill(p: ImagePage, reset: boolean): void {
    let c = cache.value;
    if (reset) c = new Array<ImageRow | undefined>(p.matched);
    else if (p.version !== version) {
      // A new snapshot under the same filter: keep what is on screen until its fresh rows land, forget the rest
      // (positions elsewhere may have moved).
      const [a, b] = visible;
      const keep = c.slice(a, b + 1);
      c = new Array<ImageRow | undefined>(p.matched);
      keep.forEach((r, k) => {
        if (a + k < p.matched) c[a + k] = r;
      });
    } else if (c.length !== p.matched) c.length = p.matched;
    p.rows.forEach((r, k) => (c[p.offset + k] = r));
    matched.value = p.matched;
    total.value = p.total;
    version = p.version;
    cache.value = c;
    triggerRef(cache);
    pageReady.value = true;
  }

  async function fetchPage(page: number, q: number, reset: boolean): Promise<void> {
    const key = q * 1e7 + page;
    if (inFlight.has(key)) return;
    inFlight.add(key);
    try {
      const p = await call(api.topology.images({ ...currentFilter(), offset: page * PAGE, limit: PAGE }));
      // A newer filter, sort or snapshot superseded this request while it was on the wire.
      if (q !== query) return;
      fill(p, reset);
    } catch (e) {
      if (q === query) error.value = errorMessage(e);
    } finally {
      inFlight.delete(key);
    }
  }

  /** New filter, sort or snapshot: fetch the pages of the visible range again (page 0 for a new filter). */
  function requery(keepPosition: boolean): void {
    query++;
    if (!snapshot.value) return;
    const [a, b] = keepPosition ? visible : [0, 0];
    const first = Math.floor(a / PAGE);
    const last = Math.floor(b / PAGE);
    for (let p = first; p <= last; p++) void fetchPage(p, query, !keepPosition && p === first);
  }

  /** The table says which rows it shows; missing pages around them are fetched. */
  function ensureRange(start: number, end: number): void {
    visible = [start, end];
    if (!snapshot.value || !pageReady.value) return;
    const c = cache.value;
    for (let p = Math.floor(start / PAGE); p <= Math.floor(end / PAGE); p++) {
      if (p * PAGE >= matched.value) break;
      for (let k = Math.max(start, p * PAGE); k <= Math.min(end, (p + 1) * PAGE - 1, matched.value - 1); k++)
        if (c[k] === undefined) {
          void fetchPage(p, query, false);
          break;
        }
    }
  }

  watch([text, state, health, site, kind, sortKey, sortAsc], () => requery(false));
  watch(
    () => snapshot.value?.version,
    () => requery(true),
  );

  /** One full scan, manual (takes the buttons) or in the background (does not: the summary cadence goes on). */
  async function fullScan(background: boolean): Promise<void> {
    if (background) fullInFlight = true;
    else {
      loading.value = 'discover';
      error.value = null;
    }
    const t0 = Date.now();
    try {
      take(await call(api.topology.discover({})));
      noteFull(t0);
      await Promise.all([loadMatrix(), loadHistory()]);
    } catch (e) {
      error.value = errorMessage(e);
      // A failed background scan waits its interval too, instead of retrying every 5 s.
      if (background) lastFullAt.value = Date.now();
    } finally {
      if (background) fullInFlight = false;
      else loading.value = null;
    }
  }
  const discover = (): Promise<void> => fullScan(false);

  async function refresh(): Promise<void> {
    if (loading.value) return;
    loading.value = 'refresh';
    try {
      take(await call(api.topology.refresh({})));
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
      if (!snapshot.value) return;
      if (
        autoFull.value &&
        !fullInFlight &&
        !loading.value &&
        Date.now() - lastFullAt.value >= fullEverySec.value * 1000
      )
        void fullScan(true);
      if (autoRefresh.value) void refresh();
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
    autoFull,
    fullEverySec,
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
    cache,
    matched,
    total,
    pageReady,
    ensureRange,
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
