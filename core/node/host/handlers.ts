import { ApiErrorException, type AppInfo, type Handlers } from '../../common/contract/index';
import type { TerminalManager } from '../terminal/manager';
import { createTopologyHandlers } from '../topology/handlers';
import { createImagesHandlers } from '../images/handlers';
import { ImagesService } from '../images/service';
import { TopologyService } from '../topology/service';
import { createWizardHandlers, wizardServiceFor } from '../wizard/handlers';
import type { CoreServicesPort } from './core-port';
import type { CallContext } from './dispatcher';
import type { EventBus } from './events';
import type { HostKeyPrompts } from './host-key-prompts';

export interface HandlerDeps {
  services: CoreServicesPort;
  terminals: TerminalManager;
  prompts: HostKeyPrompts;
  events: EventBus;
  appInfo(ctx: CallContext): AppInfo;
  /** Data directory (wizard journals live below it). */
  home?: string;
}

/**
 * The contract's handler table over core services. Typed as `Handlers<CallContext>`: a method added to the
 * contract without a handler here is a compile error.
 */
export function createHandlers(d: HandlerDeps): Handlers<CallContext> {
  const { services: s, terminals, prompts, events } = d;
  const vaultChanged = async <T>(p: T | Promise<T>): Promise<T> => {
    const out = await p;
    events.emit('vault.changed', await s.vault.status());
    return out;
  };
  return {
    app: {
      info: async (ctx) => d.appInfo(ctx),
    },
    vault: {
      status: async () => s.vault.status(),
      init: async (_c, o) => vaultChanged(s.vault.init(o.useKeychain === undefined ? { passphrase: o.passphrase } : o)),
      unlock: async (_c, o) => vaultChanged(s.vault.unlock(o)),
      lock: async () => vaultChanged(s.vault.lock()),
      list: async () => s.vault.list(),
      add: async (_c, o) => vaultChanged(s.vault.add(o)),
      remove: async (_c, id) => {
        await vaultChanged(s.vault.remove(id));
        return null;
      },
      changePassphrase: async (_c, o) => vaultChanged(s.vault.changePassphrase(o)),
    },
    inventory: {
      get: async () => s.inventory.get(),
      save: async (_c, o) => {
        const state = await s.inventory.save(o.text);
        if (state.errors.length === 0) events.emit('inventory.changed', { path: state.path });
        return state;
      },
      validate: async (_c, o) => s.inventory.validate(o.text),
      importSshConfig: async (_c, o) => s.inventory.importSshConfig(o.text),
      importCloudsYaml: async (_c, o) => s.inventory.importCloudsYaml(o.text),
    },
    hostKeys: {
      list: async () => s.knownHosts.list(),
      remove: async (_c, key) => {
        await s.knownHosts.remove(key);
        return null;
      },
      decide: async (_c, o) => {
        prompts.decide(o.promptId, o.accept);
        return null;
      },
      importKnownHosts: async (_c, o) => s.knownHosts.importKnownHosts(o.path),
    },
    ssh: {
      exec: async (_c, o) => s.ssh.run(o.hostId, o.argv, o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      test: async (_c, o) => {
        const started = Date.now();
        try {
          const r = await s.ssh.run(o.hostId, ['true'], { timeoutMs: 30_000 });
          const ok = r.exitCode === 0;
          return ok
            ? { hostId: o.hostId, ok, latencyMs: Date.now() - started }
            : { hostId: o.hostId, ok, latencyMs: Date.now() - started, error: `exit ${String(r.exitCode)}` };
        } catch (err) {
          const message = err instanceof ApiErrorException || err instanceof Error ? err.message : 'connection failed';
          return { hostId: o.hostId, ok: false, latencyMs: Date.now() - started, error: message };
        }
      },
    },
    audit: {
      list: async (_c, filter) => s.audit.list(filter),
    },
    topology: createTopologyHandlers(
      new TopologyService({
        runner: s.ssh,
        ...(s.ssh.forwardOut ? { forwarder: { forwardOut: s.ssh.forwardOut.bind(s.ssh) } } : {}),
        inventory: async () => (await s.inventory.get()).inventory,
        secret: async (ref) => (await s.vault.getSecret(ref)).value,
      }),
    ),
    images: createImagesHandlers(
      new ImagesService({
        runner: s.ssh,
        inventory: async () => (await s.inventory.get()).inventory,
        secret: async (ref) => (await s.vault.getSecret(ref)).value,
      }),
    ),
    wizard: createWizardHandlers(wizardServiceFor(s, events, d.home)),
    terminal: {
      open: async (ctx, req) => terminals.open(ctx.clientId, req),
      write: async (_c, id, data) => {
        terminals.write(id, data);
        return null;
      },
      resize: async (_c, id, cols, rows) => {
        terminals.resize(id, cols, rows);
        return null;
      },
      ack: async (_c, id, chars) => {
        terminals.ack(id, chars);
        return null;
      },
      close: async (_c, id) => {
        terminals.close(id);
        return null;
      },
      list: async () => terminals.list(),
    },
  };
}
