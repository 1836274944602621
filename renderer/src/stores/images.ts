import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { CellState, ImageCell, ImagesSnapshot, MatrixFilter } from '../../../core/common/images/model';
import { filterMatrix } from '../../../core/common/images/matrix';
import { copyProgressFor } from '../../../core/common/images/tasks';
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
  const runMessage = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Copies this view started, per `image/store`, until settled. Glance fills os_glance_importing_to_stores only a
   * moment AFTER the 202 and clears it even on error, so "not importing" right after the start means nothing: a
   * pair stays "copying" until Glance lists the store, or fails it after having shown it importing, or the
   * wizard run ends.
   */
  const pending = new Map<string, { seenImporting: boolean; runId: string; since: number }>();

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
  const blank = (size: number | null) => ({
    copiedBytes: null,
    totalBytes: size,
    percent: null,
    taskStatus: 'starting',
    taskMessage: null,
  });

  async function observe(formatCheck = false): Promise<void> {
    loading.value = true;
    error.value = null;
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
            ? (copyProgressFor(st.tasks, store, g.size) ?? {
                ...blank(g.size),
                taskStatus: glanceImp ? 'importing' : 'starting',
              })
            : null,
        };
      }
      return { ...r, status: g.status, cells };
    });
    snapshot.value = { ...s, matrix: { ...s.matrix, rows: rowsNext } };
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (importing.value.length === 0) return;
    timer = setTimeout(() => {
      void poll();
    }, 1500);
  }

  async function poll(): Promise<void> {
    const ids = importing.value;
    if (ids.length === 0) return;
    try {
      // A pair pending for too long settles on whatever Glance shows (the run's own verify has the last word).
      for (const [k, p] of pending) if (Date.now() - p.since > 15 * 60_000) pending.delete(k);
      patch(await call(api.images.progress({ ids })));
    } catch (e) {
      error.value = errorMessage(e);
    }
    if (importing.value.length === 0) await observe();
    else schedule();
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
      const st = await call(
        api.wizard.start({
          wizard: 'images-copy',
          params: { images, stores, allStoresMustSucceed: allMustSucceed.value === 'true', pollSec: 1 },
        }),
      );
      lastRun.value = st.runId;
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
    observe,
    load,
    poll,
    copySelected,
    toggle,
  };
});
