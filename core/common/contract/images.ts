/**
 * Domain `images`: the Glance image × store matrix checked against each store's cluster, usage risk per site,
 * and the format check. `observe` reads everything again (bulk: one listing per pool, one Glance exec); `cached`
 * returns the last observation for a first paint. The wizards (copy, import, delete from a store,
 * deactivate/reactivate) run through the `wizard` domain.
 */
import { z } from 'zod';
import type { ImagesSnapshot } from '../images/model';
import { method } from './define';

export const imagesDomain = {
  observe: method<ImagesSnapshot>()(z.tuple([z.object({ formatCheck: z.boolean().optional() }).optional()])),
  cached: method<ImagesSnapshot | null>()(z.tuple([])),
};
