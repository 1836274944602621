import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type {
  CellState,
  CopyProgress,
  ImageCell,
  ImagesSnapshot,
  MatrixFilter,
} from '../../../core/common/images/model';
import { filterMatrix } from '../../../core/common/images/matrix';
import { copyProgressFor } from '../../../core/common/images/tasks';
import {
  attemptsFor,
  emptyProgress,
  measuredProgress,
  type StoreMeasurement,
} from '../../../core/common/images/progress';
import type { ImageState } from '../../../core/common/images/glance-ops';
import { api, call, errorMessage } from '../api';

/**
 * Images view state: the last observation (matrix + usage), the filters, the selection for a copy, and the live
 * progress of running copies. While any cell is importing, only Glance is polled (one exec for those images,
 * every 1.5 s); once the copies settle, one full observation re-checks the clusters.
 */
export const useImagesStore = defineStore('images', () => {
  const snapshot = shallowRef<ImagesSnapshot | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const filter = ref<MatrixFilter>({ text: '', store: '', states: [], problemsOnly: false, importingOnly: false });
  const selected = ref<Set<string>>(new Set());
  const targets = ref<Set<string>>(new Set());
  /** No default on purpose: the operator chooses (the api-ref contradicts itself on Glance's default). */
  const allMustSucceed = ref<'' | 'true' | 'false'>('');
  const lastRun = ref<string | null>(null);
  /** The last copy run has not ended (succeeded/aborted): its status line is still followed. */
  const runOpen = ref(false);
  const runMessage = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Copies this view started, per `image/store`, until settled. Glance fills os_glance_importing_to_stores only a
   * moment AFTER the 202 and clears it even on error, so "not importing" right after the start means nothing: a
   * pair stays "copying" until Glance lists the store, or fails it after having shown it importing, or the
   * wizard run ends.
   */
  const pending = new Map<string, { seenImporting: boolean; runId: string; since: number }>();
  /** Import task ids each image had before this view sent a copy: newer ones are attempts (retries show). */
  const knownTasks = new Map<string, Set<string>>();
  /** Polls in a row Glance did not answer (its single API worker also runs the copy): shown, not fatal. */
  const glanceMisses = ref(0);

  const rows = computed(() => {
    const s = snapshot.value;
    if (!s) return [];
    const f: MatrixFilter = { ...filter.value };
    if (!f.store) delete f.store;
    return filterMatrix(s.matrix, f);
  });
  const importing = computed(() =>
    (snapshot.value?.matrix.rows ?? []).filter((r) => Object.values(r.cells).some((c) => c.importing)).map((r) => r.id),
  );
  const blank = (size: number | null) => emptyProgress(size, 'starting');

  /** The copy run's own status (its verify re-checks Glance and the clusters): the line must not stay "running". */
  async function refreshRun(): Promise<void> {
    const id = lastRun.value;
    if (!id) return;
    const d = await call(api.wizard.run({ runId: id })).catch(() => null);
    if (!d) return;
    runMessage.value = `copy run ${id}: ${d.state.status}${d.state.lastMessage ? ` — ${d.state.lastMessage}` : ''}`;
    runOpen.value = d.state.status !== 'succeeded' && d.state.status !== 'aborted';
  }

  async function observe(formatCheck = false): Promise<void> {
    loading.value = true;
    error.value = null;
    void refreshRun();
    try {
      snapshot.value = overlayPending(await call(api.images.observe({ formatCheck })));
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loading.value = false;
    }
    schedule();
  }

  async function load(): Promise<void> {
    const c = await call(api.images.cached()).catch(() => null);
    if (c) snapshot.value = c;
    else await observe();
    schedule();
  }

  /**
   * A full observation that started before a copy was sent (or raced it) must not wipe the copy out: pairs still
   * pending stay "copying" until Glance lists them (then the next poll settles them).
   */
  function overlayPending(snap: ImagesSnapshot): ImagesSnapshot {
    if (pending.size === 0) return snap;
    const rowsNext = snap.matrix.rows.map((r) => {
      const mine = Object.keys(r.cells).filter((store) => pending.has(`${r.id}/${store}`) && !r.cells[store]?.listed);
      if (mine.length === 0) return r;
      const cells = { ...r.cells };
      for (const store of mine) {
        const c = cells[store];
        if (c) cells[store] = { ...c, importing: true, state: 'importing', progress: c.progress ?? blank(r.size) };
      }
      return { ...r, cells };
    });
    return { ...snap, matrix: { ...snap.matrix, rows: rowsNext } };
  }

  /** Patches the cells of the polled images from Glance's three properties and the newest task per store. */
  function patch(states: Record<string, ImageState>): void {
    const s = snapshot.value;
    if (!s) return;
    const rowsNext = s.matrix.rows.map((r) => {
      const st = states[r.id];
      if (!st?.image) return r;
      const g = st.image;
      const cells: Record<string, ImageCell> = {};
      for (const [store, c] of Object.entries(r.cells)) {
        const listed = g.stores.includes(store);
        const glanceImp = g.importingToStores.includes(store);
        const failed = g.failedImportStores.includes(store);
        const key = `${r.id}/${store}`;
        const p = pending.get(key);
        if (p && glanceImp) p.seenImporting = true;
        if (p && (listed || (failed && !glanceImp && (p.seenImporting || Date.now() - p.since > 60_000))))
          pending.delete(key);
        const imp = glanceImp || pending.has(key);
        const state: CellState = imp ? 'importing' : listed ? 'present' : failed ? 'failed' : 'absent';
        cells[store] = {
          ...c,
          listed,
          importing: imp,
          failed,
          state,
          progress: imp
            ? measuredProgress({
                base: withTask(c.progress ?? blank(g.size), copyProgressFor(st.tasks, store, g.size), glanceImp),
                measurement: null,
                totalBytes: g.size,
                listed: false,
                attempt: attemptsFor(st.tasks, store, knownTasks.get(r.id) ?? new Set()),
              })
            : null,
        };
      }
      return { ...r, status: g.status, cells };
    });
    snapshot.value = { ...s, matrix: { ...s.matrix, rows: rowsNext } };
  }

  /** Glance's task fields over the previous progress; a measured percent is kept (it is the real one). */
  function withTask(prev: CopyProgress, t: CopyProgress | null, glanceImp: boolean): CopyProgress {
    return {
      ...prev,
      taskStatus: t?.taskStatus ?? (glanceImp ? 'importing' : (prev.taskStatus ?? 'starting')),
      taskMessage: t?.taskMessage ?? prev.taskMessage,
      copiedBytes: t?.copiedBytes ?? prev.copiedBytes,
      percent: prev.measuredBytes !== null ? prev.percent : (t?.percent ?? prev.percent),
    };
  }

  /** Measured bytes in the target stores: real progress even while Glance does not answer. */
  function applyMeasurements(ms: StoreMeasurement[]): void {
    const s = snapshot.value;
    if (!s || ms.length === 0) return;
    const by = new Map(ms.map((m) => [`${m.id}/${m.store}`, m]));
    const rowsNext = s.matrix.rows.map((r) => {
      const mine = Object.keys(r.cells).filter((store) => by.has(`${r.id}/${store}`) && r.cells[store]?.importing);
      if (mine.length === 0) return r;
      const cells = { ...r.cells };
      for (const store of mine) {
        const c = cells[store];
        if (!c) continue;
        cells[store] = {
          ...c,
          progress: measuredProgress({
            base: c.progress,
            measurement: by.get(`${r.id}/${store}`) ?? null,
            totalBytes: r.size,
            listed: false,
            attempt: null,
          }),
        };
      }
      return { ...r, cells };
    });
    snapshot.value = { ...s, matrix: { ...s.matrix, rows: rowsNext } };
  }

  function importingPairs(): { id: string; store: string }[] {
    return (snapshot.value?.matrix.rows ?? []).flatMap((r) =>
      Object.entries(r.cells)
        .filter(([, c]) => c.importing)
        .map(([store]) => ({ id: r.id, store })),
    );
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (importing.value.length === 0) {
      // Every cell settled, but the run's own verify may still be going: follow it until it ends.
      if (runOpen.value)
        timer = setTimeout(() => {
          void refreshRun().then(schedule);
        }, 2000);
      return;
    }
    timer = setTimeout(() => {
      void poll();
    }, 1500);
  }

  let glanceInFlight = false;
  /**
   * One tick: Glance's view (only when the previous request came back: the single glance-api worker that runs the
   * copy can take a minute to answer) and, independently, what the target stores hold. The bar moves with the
   * measurement even while Glance is silent.
   */
  async function poll(): Promise<void> {
    const ids = importing.value;
    if (ids.length === 0) return;
    // A pair pending for too long settles on whatever Glance shows (the run's own verify has the last word).
    for (const [k, p] of pending) if (Date.now() - p.since > 15 * 60_000) pending.delete(k);
    if (!glanceInFlight) {
      glanceInFlight = true;
      call(api.images.progress({ ids }))
        .then((states) => {
          glanceMisses.value = 0;
          patch(states);
          // The copies settled while the measurement loop had nothing left to do: re-check the clusters once.
          if (importing.value.length === 0) void observe();
        })
        .catch(() => {
          glanceMisses.value++;
        })
        .finally(() => {
          glanceInFlight = false;
        });
    }
    const pairs = importingPairs();
    try {
      if (pairs.length > 0) applyMeasurements(await call(api.images.measure({ pairs })));
    } catch (e) {
      error.value = errorMessage(e);
    }
    if (importing.value.length > 0) schedule();
    else if (!glanceInFlight) await observe();
  }

  /** Starts the images-copy wizard for the selection; marks the cells importing at once (Glance lags ~1 s). */
  async function copySelected(): Promise<void> {
    if (allMustSucceed.value === '') {
      error.value = 'choose whether all stores must succeed';
      return;
    }
    const images = [...selected.value];
    const stores = [...targets.value];
    try {
      // The tasks each image already has: only newer copy-image tasks count as attempts of this copy.
      const before = await call(api.images.progress({ ids: images }));
      for (const id of images) knownTasks.set(id, new Set(before[id]?.tasks.map((t) => t.id) ?? []));
      const st = await call(
        api.wizard.start({
          wizard: 'images-copy',
          params: { images, stores, allStoresMustSucceed: allMustSucceed.value === 'true', pollSec: 1 },
        }),
      );
      lastRun.value = st.runId;
      runOpen.value = true;
      for (const id of images)
        for (const store of stores)
          pending.set(`${id}/${store}`, { seenImporting: false, runId: st.runId, since: Date.now() });
      runMessage.value = `copy run ${st.runId}: ${st.status}`;
      const s = snapshot.value;
      if (s) {
        const rowsNext = s.matrix.rows.map((r) =>
          images.includes(r.id)
            ? {
                ...r,
                cells: Object.fromEntries(
                  Object.entries(r.cells).map(([k, c]) => [
                    k,
                    stores.includes(k) && c.state !== 'present'
                      ? { ...c, importing: true, state: 'importing' as const, progress: blank(r.size) }
                      : c,
                  ]),
                ),
              }
            : r,
        );
        snapshot.value = { ...s, matrix: { ...s.matrix, rows: rowsNext } };
      }
      schedule();
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  function toggle(set: Set<string>, v: string): Set<string> {
    const n = new Set(set);
    if (n.has(v)) n.delete(v);
    else n.add(v);
    return n;
  }

  return {
    snapshot,
    loading,
    error,
    filter,
    rows,
    importing,
    selected,
    targets,
    allMustSucceed,
    lastRun,
    runMessage,
    glanceMisses,
    observe,
    load,
    poll,
    copySelected,
    toggle,
  };
});
