/**
 * Domain `images`: the Glance image × store matrix checked against each store's cluster, usage risk per site,
 * and the format check. `observe` reads everything again (bulk: one listing per pool, one Glance exec); `cached`
 * returns the last observation for a first paint. The wizards (copy, import, delete from a store,
 * deactivate/reactivate) run through the `wizard` domain.
 */
import { z } from 'zod';
import type { ImageState } from '../images/glance-ops';
import type { ImagesSnapshot } from '../images/model';
import type { StoreMeasurement } from '../images/progress';
import { nameSchema } from '../inventory/schema';
import { method } from './define';

export const imagesDomain = {
  observe: method<ImagesSnapshot>()(z.tuple([z.object({ formatCheck: z.boolean().optional() }).optional()])),
  cached: method<ImagesSnapshot | null>()(z.tuple([])),
  /** Glance's view of a few images and their import tasks, in ONE exec: cheap enough to poll while copies run. */
  progress: method<Record<string, ImageState>>()(
    z.tuple([z.object({ ids: z.array(z.string().uuid()).min(1).max(200) })]),
  ),
  /** What the target stores themselves hold of running copies (RBD used size / file size): one exec per store. */
  measure: method<StoreMeasurement[]>()(
    z.tuple([
      z.object({
        pairs: z
          .array(z.object({ id: z.string().uuid(), store: nameSchema }))
          .min(1)
          .max(400),
      }),
    ]),
  ),
};
