/**
 * Copy Glance images to more stores with the copy-image import (one image id everywhere, the DCN design in
 * shared/seeds/distributed-multibackend-storage-dcn.rst). Glance's traps are built in: copy-image answers 202 and
 * fills `os_glance_importing_to_stores` only a moment later (empty does not mean done), clears it even on error,
 * and the exit code/HTTP code says nothing about failure — so each (image, store) is settled only by `stores`
 * (done) or by a task of ours that ended with the store in `os_glance_failed_import` (failed, retried up to
 * `attempts`). `all_stores_must_succeed` is a required parameter, always sent. Verify re-reads Glance AND each
 * store's cluster (object + protected @snap).
 */
import { z } from 'zod';
import { defineWizard } from '../define';
import { StepFailedError } from '../errors';
import type { Check, PlanContext, StepContext } from '../types';
import type { ImageState } from '../../images/glance-ops';
import { copyProgressFor } from '../../images/tasks';
import { measuredProgress, type StoreMeasurement } from '../../images/progress';
import {
  checkRbdCopies,
  measureCopies,
  controllerParam,
  glance,
  glanceCommand,
  pollImages,
  showImages,
  storeList,
} from './images-shared';

export const imagesCopyParams = z.object({
  controller: controllerParam,
  images: z.array(z.string().uuid()).min(1).max(200),
  stores: storeList,
  /** Required on purpose: the api-ref contradicts itself on the default (operator-pitfalls.md 11). */
  allStoresMustSucceed: z.boolean(),
  /** Attempts per (image, store), the first included. */
  attempts: z.number().int().min(1).max(5).default(3),
  pollSec: z.number().min(0.2).max(60).default(3),
  timeoutSec: z
    .number()
    .int()
    .min(10)
    .max(7 * 24 * 3600)
    .default(3600),
});
export type ImagesCopyParams = z.infer<typeof imagesCopyParams>;
type C = StepContext<ImagesCopyParams>;

interface CopyFacts {
  /** Stores still to copy to, per image (those already holding it are left out). */
  todo?: Record<string, string[]>;
  skipped?: string[];
  /** File stores' data_dir from Glance's stores/detail (for the progress probe). */
  dataDirs?: Record<string, string>;
}
const factsOf = (c: PlanContext<ImagesCopyParams>): CopyFacts => c.facts as CopyFacts;

export type PairState = 'done' | 'failed' | 'pending';
/**
 * Settles one (image, store) after our copy was sent. `known` holds the ids of the image's tasks before we sent it:
 * only a NEW task can fail the pair (an old failure in `os_glance_failed_import` must not end a fresh attempt).
 */
export function settle(st: ImageState, store: string, known: Set<string>): PairState {
  const g = st.image;
  if (!g) return 'failed';
  if (g.stores.includes(store)) return 'done';
  if (g.importingToStores.includes(store)) return 'pending';
  const ours = st.tasks.find((t) => !known.has(t.id) && t.stores.includes(store));
  if (!ours) return 'pending';
  if (ours.status === 'failure') return 'failed';
  if (ours.status === 'success' && g.failedImportStores.includes(store)) return 'failed';
  return 'pending';
}

function describe(
  st: ImageState | undefined,
  store: string,
  state: PairState,
  attempt: number,
  m: StoreMeasurement | null,
): string {
  const p = measuredProgress({
    base: st?.image ? copyProgressFor(st.tasks, store, st.image.size) : null,
    measurement: state === 'pending' ? m : null,
    totalBytes: st?.image?.size ?? null,
    listed: state === 'done',
    attempt: null,
  });
  const pct = p.percent !== null ? ` ${p.percent}%` : '';
  const mib =
    p.measuredBytes !== null ? ` ${Math.round(p.measuredBytes / 2 ** 20)} MiB in ${p.measuredAt ?? store}` : '';
  const phase = state === 'pending' && p.phase && p.phase !== 'writing' ? ` ${p.phase}` : '';
  return `${st?.image?.name ?? '?'}→${store}: ${state}${pct}${phase}${mib}${p.taskMessage ? ` (${p.taskMessage})` : ''}${attempt > 1 ? ` attempt ${attempt}` : ''}`;
}

async function copyAll(ctx: C): Promise<void> {
  const todo = factsOf(ctx).todo ?? {};
  const pairs = Object.entries(todo).flatMap(([id, stores]) =>
    stores.map((store) => ({ id, store, attempt: 0, state: 'pending' as PairState })),
  );
  if (pairs.length === 0) return;
  const known = new Map<string, Set<string>>();
  const send = async (id: string, stores: string[]): Promise<void> => {
    const before = await showImages(ctx, [id], 'precondition');
    known.set(id, new Set(before[id]?.tasks.map((t) => t.id) ?? []));
    const r = await glance(
      ctx,
      { op: 'copy', id, stores, allStoresMustSucceed: ctx.params.allStoresMustSucceed },
      { purpose: 'execute', note: `copy-image to ${stores.join(', ')}` },
    );
    // "already present" (a resumed run, or someone else's copy) is settled by the next poll, not an error.
    if (!r.ok && !/already present/i.test(r.message ?? ''))
      throw new StepFailedError(
        `copy-image of ${id} to ${stores.join(', ')} refused: HTTP ${r.status ?? '?'}`,
        r.error ?? '',
      );
    for (const p of pairs) if (p.id === id && stores.includes(p.store)) p.attempt++;
  };
  for (const [id, stores] of Object.entries(todo)) if (stores.length > 0) await send(id, stores);
  const deadline = ctx.clock.now() + ctx.params.timeoutSec * 1000;
  let misses = 0;
  let last: Record<string, ImageState> = {};
  for (;;) {
    const ids = [...new Set(pairs.filter((p) => p.state === 'pending').map((p) => p.id))];
    if (ids.length === 0) break;
    await ctx.clock.sleep(ctx.params.pollSec * 1000, ctx.signal);
    if (ctx.clock.now() > deadline)
      throw new StepFailedError(
        `copies not settled after ${ctx.params.timeoutSec} s`,
        pairs
          .filter((p) => p.state === 'pending')
          .map((p) => `${p.id}→${p.store}`)
          .join('\n'),
      );
    const pendingPairs = pairs.filter((p) => p.state === 'pending').map((p) => ({ id: p.id, store: p.store }));
    const measured = new Map(
      (await measureCopies(ctx, pendingPairs, factsOf(ctx).dataDirs ?? {})).map((m) => [`${m.id}/${m.store}`, m]),
    );
    const states = await pollImages(ctx, ids);
    if (!states) {
      ctx.progress({
        done: pairs.filter((p) => p.state !== 'pending').length,
        total: pairs.length,
        message: `Glance did not answer (${misses + 1}); ${pairs.map((p) => describe(last[p.id], p.store, p.state, p.attempt, measured.get(`${p.id}/${p.store}`) ?? null)).join('; ')}`,
      });
      if (++misses >= 20) throw new StepFailedError('Glance did not answer 20 polls in a row');
      continue;
    }
    misses = 0;
    last = states;
    const retry = new Map<string, string[]>();
    for (const p of pairs.filter((x) => x.state === 'pending')) {
      const st = states[p.id];
      const s = st ? settle(st, p.store, known.get(p.id) ?? new Set()) : 'failed';
      if (s === 'failed' && p.attempt < ctx.params.attempts) retry.set(p.id, [...(retry.get(p.id) ?? []), p.store]);
      else p.state = s;
    }
    const settled = pairs.filter((p) => p.state !== 'pending').length;
    ctx.progress({
      done: settled,
      total: pairs.length,
      message: pairs
        .map((p) => describe(states[p.id], p.store, p.state, p.attempt, measured.get(`${p.id}/${p.store}`) ?? null))
        .join('; '),
    });
    for (const [id, stores] of retry) await send(id, stores);
  }
  const failed = pairs.filter((p) => p.state === 'failed');
  if (failed.length > 0) {
    const st = await showImages(ctx, [...new Set(failed.map((p) => p.id))], 'verify');
    const why = failed.map(
      (p) =>
        `${p.id}→${p.store} after ${p.attempt} attempt(s): ${st[p.id]?.tasks.find((t) => t.stores.includes(p.store))?.message ?? 'no task message'}`,
    );
    throw new StepFailedError(`${failed.length} copies failed`, why.join('\n'));
  }
}

export const imagesCopyWizard = defineWizard<ImagesCopyParams>({
  id: 'images-copy',
  title: 'Copy images to Glance stores (copy-image)',
  description:
    'Copies the selected images to the selected stores with Glance copy-image (all_stores_must_succeed explicit), follows each store by polling stores / os_glance_importing_to_stores / os_glance_failed_import and the import tasks, retries failed stores a bounded number of times, then checks the RBD object and its protected @snap in every target cluster.',
  params: imagesCopyParams as unknown as z.ZodType<ImagesCopyParams>,
  phases: ['Preflight', 'Copy'],
  steps: [
    {
      id: 'preflight',
      title: 'Read the images, the stores and the import methods',
      phase: 'Preflight',
      risk: 'read',
      description:
        'copy-image must be enabled (edge Glance defaults to web-download only) and only works on active images; stores that already hold an image are left out.',
      plan: (c) => [glanceCommand(c, { op: 'info' }), glanceCommand(c, { op: 'show', ids: c.params.images })],
      execute: async (ctx) => {
        const info = await glance(ctx, { op: 'info' }, { purpose: 'discover' });
        if (!info.ok) throw new StepFailedError(`Glance info: ${info.message ?? ''}`);
        const res = (info.result ?? {}) as {
          stores?: { id?: string; properties?: { data_dir?: string } }[];
          import?: { 'import-methods'?: { value?: string[] } };
        };
        const known = new Set((res.stores ?? []).map((s) => s.id));
        const methods = res.import?.['import-methods']?.value ?? [];
        const bad: string[] = [];
        if (!methods.includes('copy-image'))
          bad.push(`copy-image is not an enabled import method (enabled: ${methods.join(', ') || 'none'})`);
        for (const s of ctx.params.stores)
          if (!known.has(s)) bad.push(`store ${s} is not configured in Glance (have: ${[...known].join(', ')})`);
        const states = await showImages(ctx, ctx.params.images, 'discover');
        const todo: Record<string, string[]> = {};
        const skipped: string[] = [];
        for (const id of ctx.params.images) {
          const g = states[id]?.image;
          if (!g) {
            bad.push(`image ${id}: ${states[id]?.error ?? 'not found'}`);
            continue;
          }
          if (g.status !== 'active')
            bad.push(
              `image ${g.name ?? id} is ${g.status ?? '?'}: The 'copy-image' import method can only be used on an image with status 'active'`,
            );
          const want = ctx.params.stores.filter((s) => !g.stores.includes(s));
          for (const s of ctx.params.stores.filter((x) => g.stores.includes(x)))
            skipped.push(`${g.name ?? id} already in ${s}`);
          const busy = want.filter((s) => g.importingToStores.includes(s));
          if (busy.length > 0) bad.push(`image ${g.name ?? id} is already being copied to ${busy.join(', ')}`);
          todo[id] = want;
        }
        if (bad.length > 0) throw new StepFailedError('preflight failed', bad.join('\n'));
        const dataDirs: Record<string, string> = {};
        for (const s of res.stores ?? []) if (s.id && s.properties?.data_dir) dataDirs[s.id] = s.properties.data_dir;
        ctx.setFacts({ todo, skipped, dataDirs });
      },
      verify: async (ctx) => {
        const f = factsOf(ctx);
        const n = Object.values(f.todo ?? {}).reduce((a, s) => a + s.length, 0);
        return {
          ok: f.todo !== undefined,
          evidence: `${n} copies to make${f.skipped?.length ? `; ${f.skipped.join('; ')}` : ''}`,
        };
      },
    },
    {
      id: 'copy',
      title: 'Copy with copy-image and follow every store',
      phase: 'Copy',
      risk: 'change',
      description:
        'One copy-image request per image (all its target stores, all_stores_must_succeed explicit); a store is done when Glance lists it, failed when a task of ours ends with it in os_glance_failed_import.',
      plan: (c) => {
        const todo = factsOf(c).todo;
        const ids = todo ? Object.keys(todo).filter((id) => (todo[id] ?? []).length > 0) : c.params.images;
        return ids.map((id) => ({
          ...glanceCommand(c, {
            op: 'copy',
            id,
            stores: todo?.[id] ?? c.params.stores,
            allStoresMustSucceed: c.params.allStoresMustSucceed,
          }),
          note: `POST /v2/images/${id}/import copy-image stores=${(todo?.[id] ?? c.params.stores).join(',')} all_stores_must_succeed=${String(c.params.allStoresMustSucceed)}`,
          ...(todo ? {} : { placeholder: true }),
        }));
      },
      preconditions: async (ctx): Promise<Check[]> => {
        const todo = factsOf(ctx).todo ?? {};
        const ids = Object.keys(todo);
        if (ids.length === 0) return [];
        const st = await showImages(ctx, ids, 'precondition');
        return ids.map((id) => ({
          name: `${st[id]?.image?.name ?? id} active`,
          ok: st[id]?.image?.status === 'active',
          evidence: `status ${st[id]?.image?.status ?? 'unknown'}`,
        }));
      },
      execute: copyAll,
      verify: async (ctx) => {
        const st = await showImages(ctx, ctx.params.images, 'verify');
        const missing: string[] = [];
        for (const id of ctx.params.images)
          for (const s of ctx.params.stores) if (!st[id]?.image?.stores.includes(s)) missing.push(`${id}→${s}`);
        const rbd = await checkRbdCopies(
          ctx,
          ctx.inventory,
          ctx.params.images.flatMap((id) => ctx.params.stores.map((store) => ({ id, store }))),
        );
        const ok = missing.length === 0 && rbd.ok;
        return {
          ok,
          evidence: `${missing.length ? `Glance does not list: ${missing.join(', ')}\n` : 'Glance lists every target store\n'}${rbd.lines.join('\n')}`,
        };
      },
    },
  ],
});
