/**
 * The shape of core/node services the host needs (implemented by core/node/services.ts `createCoreServices`).
 * Declared structurally here so the dispatcher, handlers and local host can be tested with in-process fakes and
 * so a drift between the two shows up as a compile error at the one place they are wired (runtime.ts).
 */
import type { Duplex } from 'node:stream';
import type {
  AuditEntry,
  InventoryProblem,
  InventoryState,
  KnownHostEntry,
  SecretKind,
  SecretMeta,
  VaultStatus,
} from '../../common/contract/index';
import type { Host } from '../../common/inventory/schema';
import type { CommandRunner } from '../../common/ports';
import type { ShellChannel } from '../terminal/ssh-source';

type Awaitable<T> = T | Promise<T>;

export interface VaultPort {
  status(): Awaitable<VaultStatus>;
  init(opts: { passphrase: string; useKeychain?: boolean }): Awaitable<VaultStatus>;
  unlock(opts: { passphrase: string }): Awaitable<VaultStatus>;
  lock(): Awaitable<VaultStatus>;
  list(): Awaitable<SecretMeta[]>;
  add(input: { kind: SecretKind; label: string; value: string; keyPassphrase?: string }): Awaitable<SecretMeta>;
  remove(id: string): Awaitable<unknown>;
  changePassphrase(opts: { current: string; next: string }): Awaitable<VaultStatus>;
  /** Host side only (SSH auth, cloud passwords on stdin); never crosses the contract. */
  getSecret(ref: string): Awaitable<{ value: string }>;
  /** Opens the vault with a key from the OS keychain, when one is kept there. */
  unlockWithKeychain?(): Promise<boolean>;
}

export interface InventoryPort {
  get(): Awaitable<InventoryState>;
  save(text: string): Awaitable<InventoryState>;
  validate(text: string): Awaitable<InventoryProblem[]>;
  importSshConfig(text?: string): Awaitable<Host[]>;
  importCloudsYaml(text?: string): Awaitable<{ clouds: string[] }>;
}

export interface KnownHostsPort {
  list(): Awaitable<KnownHostEntry[]>;
  remove(key: { host: string; port: number; keyType: string }): Awaitable<unknown>;
  importKnownHosts(path?: string): Awaitable<{ imported: number }>;
}

export interface AuditPort {
  list(filter: { hostId?: string; text?: string; failedOnly?: boolean; limit?: number }): Awaitable<AuditEntry[]>;
  onAppended(listener: (entry: AuditEntry) => void): () => void;
}

export interface SshPort extends CommandRunner {
  shell(hostId: string, opts: { cols: number; rows: number; command?: string }): Promise<ShellChannel>;
  /** A direct-tcpip stream from that host (the OpenStack REST calls of discovery go through it). */
  forwardOut?(hostId: string, dstHost: string, dstPort: number): Promise<Duplex>;
}

export interface CoreServicesPort {
  vault: VaultPort;
  inventory: InventoryPort;
  knownHosts: KnownHostsPort;
  audit: AuditPort;
  ssh: SshPort;
  /** Closes SSH connections and the audit file. */
  close?(): Promise<void>;
}
