/**
 * Deactivate or reactivate an image. A deactivated image cannot be downloaded, booted or copied (copy-image answers
 * "can only be used on an image with status 'active'"); existing clones keep working.
 */
import { z } from 'zod';
import { defineWizard } from '../define';
import { StepFailedError } from '../errors';
import type { Check } from '../types';
import { controllerParam, glance, glanceCommand, showImages } from './images-shared';

export const imagesActivationParams = z.object({
  controller: controllerParam,
  image: z.string().uuid(),
  action: z.enum(['deactivate', 'reactivate']),
});
export type ImagesActivationParams = z.infer<typeof imagesActivationParams>;
const want = (a: ImagesActivationParams['action']): { from: string; to: string } =>
  a === 'deactivate' ? { from: 'active', to: 'deactivated' } : { from: 'deactivated', to: 'active' };

export const imagesActivationWizard = defineWizard<ImagesActivationParams>({
  id: 'images-activation',
  title: 'Deactivate or reactivate an image',
  description: 'Blocks (deactivate) or allows again (reactivate) downloads, new boots and copies of an image.',
  params: imagesActivationParams as unknown as z.ZodType<ImagesActivationParams>,
  phases: ['Change'],
  steps: [
    {
      id: 'set-status',
      title: 'Deactivate / reactivate',
      phase: 'Change',
      risk: 'change',
      plan: (c) => [
        {
          ...glanceCommand(c, { op: c.params.action, id: c.params.image }),
          note: `POST /v2/images/${c.params.image}/actions/${c.params.action}`,
        },
      ],
      preconditions: async (ctx): Promise<Check[]> => {
        const g = (await showImages(ctx, [ctx.params.image], 'precondition'))[ctx.params.image]?.image;
        const w = want(ctx.params.action);
        return [
          {
            name: `image is ${w.from}`,
            ok: g?.status === w.from || g?.status === w.to,
            evidence: `status ${g?.status ?? 'not found'}`,
          },
          {
            name: 'no copy running',
            ok: (g?.importingToStores.length ?? 0) === 0,
            severity: 'warning',
            evidence: `importing to ${g?.importingToStores.join(', ') || 'none'}`,
          },
        ];
      },
      execute: async (ctx) => {
        const r = await glance(ctx, { op: ctx.params.action, id: ctx.params.image }, { purpose: 'execute' });
        if (!r.ok) throw new StepFailedError(`Glance refused: HTTP ${r.status ?? '?'}`, r.error ?? '');
      },
      verify: async (ctx) => {
        const g = (await showImages(ctx, [ctx.params.image], 'verify'))[ctx.params.image]?.image;
        const w = want(ctx.params.action);
        return { ok: g?.status === w.to, evidence: `status ${g?.status ?? '?'}` };
      },
    },
  ],
});
