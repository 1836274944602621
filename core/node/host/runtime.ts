import type { AppInfo } from '../../common/contract/index';
import { contract } from '../../common/contract/index';
import type { HostKeyDecider } from '../../common/ports';
import { localSource } from '../terminal/local-source';
import { TerminalManager } from '../terminal/manager';
import { sshSource } from '../terminal/ssh-source';
import type { CoreServicesPort } from './core-port';
import { createDispatcher, type CallContext, type Dispatch } from './dispatcher';
import { EventBus } from './events';
import { createHandlers } from './handlers';
import { HostKeyPrompts } from './host-key-prompts';

export interface HostRuntimeOptions {
  mode: AppInfo['mode'];
  /** Builds core services; receives the decider that turns host-key questions into `hostkey.prompt` events. */
  makeServices(hostKeyDecider: HostKeyDecider): CoreServicesPort;
  appInfo: Omit<AppInfo, 'mode'>;
  home?: string;
  /** Terminal flow-control thresholds (characters). */
  highWater?: number;
  lowWater?: number;
}

export interface HostRuntime {
  events: EventBus;
  prompts: HostKeyPrompts;
  services: CoreServicesPort;
  terminals: TerminalManager;
  dispatch: Dispatch;
  /** A client (window or WebSocket) went away. */
  clientGone(clientId: string): void;
  dispose(): void;
}

/** Everything both transports share: one event bus, one handler table, one dispatcher. */
export function createHostRuntime(o: HostRuntimeOptions): HostRuntime {
  const events = new EventBus();
  const prompts = new HostKeyPrompts(events);
  const services = o.makeServices(prompts.decider);
  const terminals = new TerminalManager({
    events,
    openSsh: async (hostId, opts) => sshSource(await services.ssh.shell(hostId, opts)),
    openLocal: (size) => localSource(size),
    ...(o.highWater === undefined ? {} : { highWater: o.highWater }),
    ...(o.lowWater === undefined ? {} : { lowWater: o.lowWater }),
  });
  const handlers = createHandlers({
    services,
    terminals,
    prompts,
    events,
    appInfo: (_ctx: CallContext) => ({ ...o.appInfo, mode: o.mode }),
    ...(o.home === undefined ? {} : { home: o.home }),
  });
  const dispatch = createDispatcher(contract, handlers);
  const stopAudit = services.audit.onAppended((entry) => events.emit('audit.appended', entry));
  return {
    events,
    prompts,
    services,
    terminals,
    dispatch,
    clientGone: (id) => terminals.closeOwnedBy(id),
    dispose: () => {
      stopAudit();
      prompts.rejectAll();
      terminals.closeAll();
      services
        .close?.()
        .catch((err: unknown) =>
          console.error('closing core services failed:', err instanceof Error ? err.message : err),
        );
    },
  };
}
