/**
 * Delete one image from ONE Glance store (`DELETE /v2/stores/S/ID`, what `glance stores-delete` sends). Refused
 * while clones in that store's cluster depend on the image's @snap (servers' disks, volumes: deleting would fail
 * half-way in Glance's RBD driver, or strand them), and refused for the last location (Glance will not remove it:
 * that is an image delete). Otherwise a typed confirmation of the store name.
 */
import { z } from 'zod';
import { rbdBase } from '../../commands/rbd';
import { rbdParentSpec } from '../../commands/rbd';
import { defineWizard } from '../define';
import { StepFailedError } from '../errors';
import type { Check, PlanContext, StepContext } from '../types';
import {
  controllerParam,
  glance,
  glanceCommand,
  listStore,
  rbdCopyState,
  showImages,
  storeEnd,
  type StoreEnd,
} from './images-shared';
import { nameSchema } from '../../inventory/schema';

export const imagesDeleteStoreParams = z.object({
  controller: controllerParam,
  image: z.string().uuid(),
  store: nameSchema,
});
export type ImagesDeleteStoreParams = z.infer<typeof imagesDeleteStoreParams>;
type C = StepContext<ImagesDeleteStoreParams>;

/** `rbd children --all POOL/ID@snap`: every clone of the image's snapshot in that cluster, trash included. */
export const rbdChildrenArgv = (end: StoreEnd, image: string): string[] => [
  ...rbdBase(end.target),
  'children',
  '--all',
  rbdParentSpec(end.pool, image, 'snap'),
  '--format',
  'json',
];

/** Clones of the image in the store's cluster ("pool/name" list); no @snap at all means no clone can exist. */
export async function childrenOf(ctx: C, end: StoreEnd, image: string): Promise<string[]> {
  const r = await ctx.run(end.host, rbdChildrenArgv(end, image), { purpose: 'precondition', okExitCodes: [0, 2] });
  if (r.exitCode === 2) {
    if (/No such file|not found|ENOENT/i.test(r.stderr)) return [];
    throw new StepFailedError(`rbd children failed on ${end.cluster}`, r.stderr.slice(-1000));
  }
  const list = JSON.parse(r.stdout || '[]') as { pool?: string; image?: string; trash?: boolean }[];
  return list.map((c) => `${c.pool ?? '?'}/${c.image ?? '?'}${c.trash ? ' (in trash)' : ''}`);
}

const end = (c: PlanContext<ImagesDeleteStoreParams>): StoreEnd | null => storeEnd(c.inventory, c.params.store);

export const imagesDeleteStoreWizard = defineWizard<ImagesDeleteStoreParams>({
  id: 'images-delete-store',
  title: 'Delete an image from one Glance store',
  description:
    'Removes one copy of an image (DELETE /v2/stores/STORE/ID). Refused while clones in that cluster depend on it and for the last copy; needs the store name typed.',
  params: imagesDeleteStoreParams as unknown as z.ZodType<ImagesDeleteStoreParams>,
  phases: ['Preflight', 'Delete'],
  steps: [
    {
      id: 'preflight',
      title: 'Check the image, its other copies and its clones in that cluster',
      phase: 'Preflight',
      risk: 'read',
      plan: (c) => {
        const e = end(c);
        return [
          glanceCommand(c, { op: 'show', ids: [c.params.image] }),
          ...(e ? [{ host: e.host, argv: rbdChildrenArgv(e, c.params.image) }] : []),
        ];
      },
      preconditions: async (ctx): Promise<Check[]> => {
        const g = (await showImages(ctx, [ctx.params.image], 'precondition'))[ctx.params.image]?.image;
        const checks: Check[] = [
          {
            name: 'image exists',
            ok: g !== null && g !== undefined,
            evidence: g ? `${g.name ?? g.id} ${g.status ?? ''} in ${g.stores.join(', ')}` : 'not found',
          },
        ];
        if (!g) return checks;
        checks.push({
          name: `image is in ${ctx.params.store}`,
          ok: g.stores.includes(ctx.params.store),
          evidence: `stores: ${g.stores.join(', ') || 'none'}`,
        });
        checks.push({
          name: 'another copy remains',
          ok: g.stores.filter((s) => s !== ctx.params.store).length > 0,
          evidence: 'Glance will not remove the last location: delete the image instead',
        });
        checks.push({
          name: 'no copy running',
          ok: g.importingToStores.length === 0,
          evidence: `importing to: ${g.importingToStores.join(', ') || 'none'}`,
        });
        const e = end(ctx);
        if (e) {
          const kids = await childrenOf(ctx, e, ctx.params.image);
          checks.push({
            name: `no clones in ${e.cluster} depend on it`,
            ok: kids.length === 0,
            evidence: kids.length
              ? `${kids.length} clone(s) of ${e.pool}/${ctx.params.image}@snap: ${kids.slice(0, 20).join(', ')}${kids.length > 20 ? ', …' : ''}`
              : `rbd children --all ${e.pool}/${ctx.params.image}@snap: none`,
          });
        }
        return checks;
      },
      verify: async () => ({ ok: true, evidence: 'preconditions met' }),
    },
    {
      id: 'delete-from-store',
      title: 'Delete the copy from the store',
      phase: 'Delete',
      risk: 'destructive',
      confirm: (c) => ({
        expected: c.params.store,
        prompt: `Type the store name "${c.params.store}" to delete image ${c.params.image} from it`,
      }),
      plan: (c) => [
        {
          ...glanceCommand(c, { op: 'delete-from-store', id: c.params.image, store: c.params.store }),
          note: `DELETE /v2/stores/${c.params.store}/${c.params.image}`,
        },
      ],
      execute: async (ctx) => {
        // Clones may have appeared since the preflight (a server booted meanwhile): check again right before.
        const e = end(ctx);
        if (e) {
          const kids = await childrenOf(ctx, e, ctx.params.image);
          if (kids.length > 0)
            throw new StepFailedError(`refused: ${kids.length} clone(s) appeared in ${e.cluster}`, kids.join('\n'));
        }
        const r = await glance(
          ctx,
          { op: 'delete-from-store', id: ctx.params.image, store: ctx.params.store },
          { purpose: 'execute' },
        );
        if (!r.ok) throw new StepFailedError(`Glance refused: HTTP ${r.status ?? '?'}`, r.error ?? '');
      },
      verify: async (ctx) => {
        const g = (await showImages(ctx, [ctx.params.image], 'verify'))[ctx.params.image]?.image;
        const e = end(ctx);
        const rbd = e ? rbdCopyState(await listStore(ctx, e), ctx.params.image) : 'file store';
        const ok =
          g !== null &&
          g !== undefined &&
          !g.stores.includes(ctx.params.store) &&
          (rbd === 'no-object' || rbd === 'file store');
        return {
          ok,
          evidence: `Glance stores: ${g?.stores.join(', ') ?? '?'}; ${e ? `${e.cluster}/${e.pool}/${ctx.params.image}: ${rbd === 'no-object' ? 'gone' : rbd}` : 'file store'}`,
        };
      },
    },
  ],
});
