import type { HostKeyDecider } from '../common/ports';
import { AuditLog } from './audit/audit-log';
import { InventoryStore } from './inventory/inventory-store';
import { dataPaths, resolveHome, type DataPaths } from './paths';
import { KnownHostsStore } from './ssh/known-hosts';
import { SshPool, type SshPoolOptions } from './ssh/pool';
import type { VaultKeyStore } from './vault/key-store';
import { Vault } from './vault/vault';

export interface CoreServicesOptions {
  /** Data directory; default SWITCHYARD_HOME or ~/.switchyard. */
  home?: string;
  hostKeyDecider: HostKeyDecider;
  vaultKeyStore?: VaultKeyStore;
  /** Use this inventory file instead of <home>/inventory.yaml (CLI --inventory). */
  inventoryPath?: string;
  /** Pool tuning (timeouts, channel cap); mostly for tests and benches. */
  ssh?: Partial<Omit<SshPoolOptions, 'inventory' | 'knownHosts' | 'hostKeyDecider' | 'secrets' | 'audit'>>;
}

export interface CoreServices {
  paths: DataPaths;
  vault: Vault;
  knownHosts: KnownHostsStore;
  audit: AuditLog;
  inventory: InventoryStore;
  ssh: SshPool;
  /** Closes SSH connections and the audit file. */
  close(): Promise<void>;
}

/**
 * The one wiring of core services, shared by the CLI, the local host and Electron main: the vault feeds the
 * pool's credentials and the audit log's redaction, the inventory resolves hosts (and hashed known_hosts
 * names), every command goes to the audit log.
 */
export function createCoreServices(o: CoreServicesOptions): CoreServices {
  const paths = dataPaths(resolveHome(o.home));
  if (o.inventoryPath !== undefined) paths.inventory = o.inventoryPath;
  const vault = new Vault(o.vaultKeyStore ? { path: paths.vault, keyStore: o.vaultKeyStore } : { path: paths.vault });
  const inventory = new InventoryStore(paths.inventory);
  const knownHosts = new KnownHostsStore(paths.knownHosts, {
    candidates: async () => {
      const state = await inventory.get();
      return (state.inventory?.hosts ?? []).map((h) => ({ host: h.address, port: h.port }));
    },
  });
  const audit = new AuditLog({ path: paths.audit, secretValues: () => vault.secretValues() });
  const ssh = new SshPool({ ...o.ssh, inventory, knownHosts, hostKeyDecider: o.hostKeyDecider, secrets: vault, audit });
  return {
    paths,
    vault,
    knownHosts,
    audit,
    inventory,
    ssh,
    close: async () => {
      ssh.close();
      await audit.close();
    },
  };
}
