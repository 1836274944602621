import { z } from 'zod';
import { method } from './define';
import type { Inventory, Host } from '../inventory/schema';
import type { ExecResult } from '../ports';

export interface AppInfo {
  version: string;
  mode: 'electron' | 'browser';
  platform: string;
  inventoryPath: string;
  dataDir: string;
}

export type SecretKind = 'ssh-key' | 'password' | 'cloud-password';
/** What the renderer may know about a secret: never its value. */
export interface SecretMeta {
  id: string;
  kind: SecretKind;
  label: string;
  createdAt: string;
  /** For ssh keys: public key fingerprint (SHA256:...) and whether the key itself has a passphrase. */
  fingerprint?: string;
  encryptedKey?: boolean;
}
export interface VaultStatus {
  path: string;
  exists: boolean;
  unlocked: boolean;
  /** 'available' when an OS keychain could hold the vault key (Electron safeStorage, not basic_text). */
  keychain: 'available' | 'unavailable' | 'in-use';
  entries: number;
}

export interface InventoryState {
  path: string;
  text: string;
  inventory: Inventory | null;
  errors: InventoryProblem[];
}
export interface InventoryProblem {
  file: string;
  line: number | null;
  column: number | null;
  field: string;
  message: string;
}

export interface KnownHostEntry {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  addedAt: string;
  source: 'accepted' | 'imported';
}

export interface HostKeyPrompt {
  promptId: string;
  hostId: string;
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
}

export interface AuditEntry {
  id: number;
  hostId: string;
  argv: string[];
  startedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdoutTail: string;
  stderrTail: string;
  error?: string;
  /** Who asked: 'exec' (operator), 'topology', 'wizard:<run id>', 'cli'. */
  origin: string;
}

export interface TerminalInfo {
  id: string;
  title: string;
  kind: 'ssh' | 'local';
  hostId?: string;
}

const secretKind = z.enum(['ssh-key', 'password', 'cloud-password']);
const id = z.string().min(1).max(200);

export const appDomain = {
  info: method<AppInfo>()(z.tuple([])),
};

export const vaultDomain = {
  status: method<VaultStatus>()(z.tuple([])),
  init: method<VaultStatus>()(
    z.tuple([z.object({ passphrase: z.string().min(8), useKeychain: z.boolean().optional() })]),
  ),
  unlock: method<VaultStatus>()(z.tuple([z.object({ passphrase: z.string().min(1) })])),
  lock: method<VaultStatus>()(z.tuple([])),
  list: method<SecretMeta[]>()(z.tuple([])),
  add: method<SecretMeta>()(
    z.tuple([
      z.object({
        kind: secretKind,
        label: z.string().min(1).max(200),
        value: z.string().min(1).max(1_000_000),
        /** Passphrase of an encrypted private key. */
        keyPassphrase: z.string().optional(),
      }),
    ]),
  ),
  remove: method<null>()(z.tuple([id])),
  changePassphrase: method<VaultStatus>()(z.tuple([z.object({ current: z.string().min(1), next: z.string().min(8) })])),
};

export const inventoryDomain = {
  get: method<InventoryState>()(z.tuple([])),
  /** Validates and saves the YAML text; refuses (and writes nothing) when invalid. */
  save: method<InventoryState>()(z.tuple([z.object({ text: z.string().max(5_000_000) })])),
  validate: method<InventoryProblem[]>()(z.tuple([z.object({ text: z.string().max(5_000_000) })])),
  /** Hosts parsed from an ssh_config text (default ~/.ssh/config), for the operator to pick from. */
  importSshConfig: method<Host[]>()(z.tuple([z.object({ text: z.string().optional() })])),
  importCloudsYaml: method<{ clouds: string[] }>()(z.tuple([z.object({ text: z.string().optional() })])),
};

export const hostKeysDomain = {
  list: method<KnownHostEntry[]>()(z.tuple([])),
  remove: method<null>()(z.tuple([z.object({ host: z.string(), port: z.number().int(), keyType: z.string() })])),
  /** Answer to a `hostkey.prompt` event. */
  decide: method<null>()(z.tuple([z.object({ promptId: id, accept: z.boolean() })])),
  importKnownHosts: method<{ imported: number }>()(z.tuple([z.object({ path: z.string().optional() })])),
};

export const sshDomain = {
  exec: method<ExecResult>()(
    z.tuple([
      z.object({
        hostId: id,
        argv: z.array(z.string()).min(1),
        timeoutMs: z.number().int().positive().max(3_600_000).optional(),
      }),
    ]),
  ),
  /** Connects (asking for the host key if needed) and runs `true`; reports latency. */
  test: method<{ hostId: string; ok: boolean; latencyMs: number; error?: string }>()(
    z.tuple([z.object({ hostId: id })]),
  ),
};

export const auditDomain = {
  list: method<AuditEntry[]>()(
    z.tuple([
      z.object({
        hostId: z.string().optional(),
        text: z.string().optional(),
        failedOnly: z.boolean().optional(),
        limit: z.number().int().positive().max(10_000).optional(),
      }),
    ]),
  ),
};

export const terminalDomain = {
  open: method<TerminalInfo>()(
    z.tuple([
      z.discriminatedUnion('kind', [
        z.object({
          kind: z.literal('ssh'),
          hostId: id,
          cols: z.number().int().min(1),
          rows: z.number().int().min(1),
          command: z.string().optional(),
        }),
        z.object({ kind: z.literal('local'), cols: z.number().int().min(1), rows: z.number().int().min(1) }),
      ]),
    ]),
  ),
  write: method<null>()(z.tuple([id, z.string().max(1_000_000)])),
  resize: method<null>()(z.tuple([id, z.number().int().min(1), z.number().int().min(1)])),
  /** Flow control: the renderer acknowledges bytes it has written into xterm. */
  ack: method<null>()(z.tuple([id, z.number().int().nonnegative()])),
  close: method<null>()(z.tuple([id])),
  list: method<TerminalInfo[]>()(z.tuple([])),
};

/** Events pushed from main/host to the renderer. */
export interface FoundationEvents {
  'hostkey.prompt': HostKeyPrompt;
  'audit.appended': AuditEntry;
  'terminal.data': { id: string; data: string };
  'terminal.exit': { id: string; exitCode: number | null; signal: string | null };
  'vault.changed': VaultStatus;
  'inventory.changed': { path: string };
}
