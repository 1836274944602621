/**
 * The ONE API contract. Electron main registers it on ipcMain, the local host serves it over a WebSocket, the
 * preload and the browser client build the same `window.api` from it. Add a domain here and all three must
 * implement it or fail to compile.
 */
import type { ClientOf, HandlersOf } from './define';
import { topologyDomain } from './topology';
import { imagesDomain } from './images';
import { wizardDomain, type WizardEvents } from './wizard';
import {
  appDomain,
  auditDomain,
  hostKeysDomain,
  inventoryDomain,
  sshDomain,
  terminalDomain,
  vaultDomain,
  type FoundationEvents,
} from './foundation';

export * from './define';
export * from './foundation';
export * from './topology';
export * from './images';
export * from './wizard';

export const contract = {
  app: appDomain,
  vault: vaultDomain,
  inventory: inventoryDomain,
  hostKeys: hostKeysDomain,
  ssh: sshDomain,
  audit: auditDomain,
  terminal: terminalDomain,
  topology: topologyDomain,
  images: imagesDomain,
  wizard: wizardDomain,
} as const;

export type Contract = typeof contract;

/** Every event pushed to the renderer, by name. */
export type ApiEvents = FoundationEvents & WizardEvents;
export type ApiEventName = keyof ApiEvents;

export interface EventSubscriber {
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** `window.api`: the contract's methods plus event subscription. */
export type Api = ClientOf<Contract> & { events: EventSubscriber };
export type Handlers<Ctx> = HandlersOf<Contract, Ctx>;
