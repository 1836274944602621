/**
 * Handlers of the `topology` contract domain over one TopologyService. Wiring (core/node/host/handlers.ts):
 * `topology: createTopologyHandlers(new TopologyService({ runner: s.ssh, inventory: async () => (await s.inventory.get()).inventory }))`.
 */
import { ApiErrorException, type HandlersOf } from '../../common/contract/define';
import { topologyDomain } from '../../common/contract/topology';
import { evaluateDrReadiness } from '../../common/topology/dr-readiness';
import { TopologyNotReadyError, type TopologyService } from './service';

export type TopologyHandlers<Ctx> = HandlersOf<{ topology: typeof topologyDomain }, Ctx>['topology'];

async function mapErrors<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof TopologyNotReadyError) throw new ApiErrorException('precondition-failed', e.message, { cause: e });
    throw e;
  }
}

export function createTopologyHandlers<Ctx>(svc: TopologyService): TopologyHandlers<Ctx> {
  void topologyDomain;
  return {
    discover: async (_c, o) =>
      mapErrors(async () => {
        await svc.discover(o ?? {});
        return svc.overview();
      }),
    refresh: async (_c, o) =>
      mapErrors(async () => {
        await svc.refresh(o ?? {});
        return svc.overview();
      }),
    summary: async () => svc.summary(),
    images: async (_c, q) => mapErrors(() => svc.images(q)),
    findings: async (_c, filter) => svc.findings(filter ?? {}),
    image: async (_c, o) => mapErrors(() => svc.image(o.key)),
    glanceMatrix: async () => mapErrors(() => svc.glanceMatrix()),
    history: async (_c, o) => svc.history(o?.keys),
    drReadiness: async () =>
      mapErrors(() => {
        const s = svc.snapshot();
        return evaluateDrReadiness(s.model, s.findings);
      }),
  };
}
