/** Handlers of the `images` contract domain over one ImagesService (wired in core/node/host/handlers.ts). */
import { ApiErrorException, type HandlersOf } from '../../common/contract/define';
import type { imagesDomain } from '../../common/contract/images';
import { ImagesNotReadyError, type ImagesService } from './service';

export type ImagesHandlers<Ctx> = HandlersOf<{ images: typeof imagesDomain }, Ctx>['images'];

export function createImagesHandlers<Ctx>(svc: ImagesService): ImagesHandlers<Ctx> {
  return {
    observe: async (_c, o) => {
      try {
        return await svc.observe(o ?? {});
      } catch (e) {
        if (e instanceof ImagesNotReadyError)
          throw new ApiErrorException('precondition-failed', e.message, { cause: e });
        throw e;
      }
    },
    cached: async () => svc.cached(),
    progress: async (_c, o) => svc.showImages(o.ids),
    measure: async (_c, o) => svc.measure(o.pairs),
  };
}
