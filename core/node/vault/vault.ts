import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { ApiErrorException } from '../../common/contract/define';
import type { SecretKind, SecretMeta, VaultStatus } from '../../common/contract/foundation';
import { writeFileAtomic } from '../atomic-write';
import {
  deriveKek,
  newKdfParams,
  openEntries,
  sealEntries,
  serializeVault,
  unwrapDataKey,
  vaultFileSchema,
  wrapDataKey,
  type VaultEntry,
  type VaultFile,
} from './format';
import type { VaultKeyStore } from './key-store';
import { inspectPrivateKey } from './ssh-key';

export interface VaultOptions {
  path: string;
  keyStore?: VaultKeyStore;
}

export interface AddSecretInput {
  kind: SecretKind;
  label: string;
  value: string;
  keyPassphrase?: string;
}

/** A secret with its value: main/host side only, never sent to the renderer. */
export type Secret = VaultEntry;

/**
 * The encrypted credential store (format in ./format.ts). Unlocking keeps the data key and the decrypted
 * entries in memory until `lock()`. Every change re-reads the file under the same data key before writing, so
 * a CLI and a running console adding secrets at the same time do not lose each other's entries.
 */
export class Vault {
  readonly path: string;
  private readonly keyStore: VaultKeyStore | undefined;
  private dataKey: Buffer | null = null;
  private entries: VaultEntry[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(s: VaultStatus) => void>();

  constructor(options: VaultOptions) {
    this.path = options.path;
    this.keyStore = options.keyStore;
  }

  get unlocked(): boolean {
    return this.dataKey !== null;
  }

  /** Called after every state change (init, unlock, lock, add, remove, passphrase change). */
  onChanged(listener: (status: VaultStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async status(): Promise<VaultStatus> {
    return {
      path: this.path,
      exists: await this.exists(),
      unlocked: this.unlocked,
      keychain: this.keychainState(),
      entries: this.entries.length,
    };
  }

  /** Creates a new, empty vault. Refuses to overwrite an existing file. */
  init(input: { passphrase: string; useKeychain?: boolean }): Promise<VaultStatus> {
    return this.serial(async () => {
      if (input.passphrase.length < 8)
        throw new ApiErrorException('invalid-argument', 'the vault passphrase needs at least 8 characters');
      if (await this.exists()) throw new ApiErrorException('conflict', `a vault already exists at ${this.path}`);
      const kdf = newKdfParams();
      const dataKey = randomBytes(32);
      const kek = await deriveKek(input.passphrase, kdf);
      const file: VaultFile = {
        format: 'switchyard-vault',
        version: 1,
        kdf,
        wrap: wrapDataKey(kek, dataKey, kdf),
        data: sealEntries(dataKey, []),
      };
      await writeFileAtomic(this.path, serializeVault(file));
      this.setUnlocked(dataKey, []);
      if (input.useKeychain) this.saveToKeychain();
      return this.changed();
    });
  }

  /** Wrong passphrase → vault-bad-passphrase; a damaged file → vault-corrupt. Never writes. */
  unlock(input: { passphrase: string }): Promise<VaultStatus> {
    return this.serial(async () => {
      const file = await this.readFileChecked();
      const kek = await deriveKek(input.passphrase, file.kdf);
      let dataKey: Buffer;
      try {
        dataKey = unwrapDataKey(kek, file);
      } catch (err) {
        throw new ApiErrorException(
          'vault-bad-passphrase',
          'wrong vault passphrase (or the key section of the file was altered)',
          { cause: err },
        );
      }
      this.setUnlocked(dataKey, this.decryptEntries(dataKey, file));
      return this.changed();
    });
  }

  /** Opens the vault with the data key held by the OS keychain; false when there is none or it does not fit. */
  unlockWithKeychain(): Promise<boolean> {
    return this.serial(async () => {
      if (!this.keyStore?.available()) return false;
      const key = this.keyStore.load();
      if (!key || key.length !== 32) return false;
      const file = await this.readFileChecked();
      let entries: VaultEntry[];
      try {
        entries = openEntries(key, file);
      } catch {
        // A stale keychain entry (vault re-created) is not an error: the operator types the passphrase instead.
        return false;
      }
      this.setUnlocked(key, entries);
      await this.changed();
      return true;
    });
  }

  /** Keeps (or forgets) the data key in the OS keychain. Needs an unlocked vault. */
  setKeychain(enabled: boolean): Promise<VaultStatus> {
    return this.serial(async () => {
      if (enabled) {
        this.requireUnlocked();
        this.saveToKeychain();
      } else {
        this.keyStore?.clear();
      }
      return this.changed();
    });
  }

  lock(): Promise<VaultStatus> {
    return this.serial(async () => {
      this.dataKey?.fill(0);
      this.dataKey = null;
      this.entries = [];
      return this.changed();
    });
  }

  list(): SecretMeta[] {
    this.requireUnlocked();
    return this.entries.map(toMeta);
  }

  add(input: AddSecretInput): Promise<SecretMeta> {
    return this.serial(async () => {
      const key = this.requireUnlocked();
      const label = input.label.trim();
      if (label === '') throw new ApiErrorException('invalid-argument', 'a secret needs a label');
      if (input.value === '') throw new ApiErrorException('invalid-argument', 'a secret needs a value');
      const entry: VaultEntry = {
        id: `sec-${randomBytes(6).toString('hex')}`,
        kind: input.kind,
        label,
        createdAt: new Date().toISOString(),
        value: input.value,
      };
      if (input.kind === 'ssh-key') {
        const info = inspectPrivateKey(input.value, input.keyPassphrase);
        entry.fingerprint = info.fingerprint;
        entry.encryptedKey = info.encrypted;
        if (info.encrypted && input.keyPassphrase !== undefined) entry.keyPassphrase = input.keyPassphrase;
      } else if (input.keyPassphrase !== undefined) {
        throw new ApiErrorException('invalid-argument', 'keyPassphrase only applies to ssh keys');
      }
      await this.mutate(key, (entries) => {
        if (entries.some((e) => e.label === label))
          throw new ApiErrorException('conflict', `a secret labelled '${label}' already exists`);
        return [...entries, entry];
      });
      await this.changed();
      return toMeta(entry);
    });
  }

  remove(id: string): Promise<null> {
    return this.serial(async () => {
      const key = this.requireUnlocked();
      await this.mutate(key, (entries) => {
        if (!entries.some((e) => e.id === id)) throw new ApiErrorException('not-found', `no secret with id ${id}`);
        return entries.filter((e) => e.id !== id);
      });
      await this.changed();
      return null;
    });
  }

  /** Re-wraps the data key under the new passphrase; the encrypted entries are not touched. */
  changePassphrase(input: { current: string; next: string }): Promise<VaultStatus> {
    return this.serial(async () => {
      if (input.next.length < 8)
        throw new ApiErrorException('invalid-argument', 'the vault passphrase needs at least 8 characters');
      const file = await this.readFileChecked();
      let dataKey: Buffer;
      try {
        dataKey = unwrapDataKey(await deriveKek(input.current, file.kdf), file);
      } catch (err) {
        throw new ApiErrorException('vault-bad-passphrase', 'the current vault passphrase is wrong', { cause: err });
      }
      const entries = this.decryptEntries(dataKey, file);
      const kdf = newKdfParams();
      const next: VaultFile = { ...file, kdf, wrap: wrapDataKey(await deriveKek(input.next, kdf), dataKey, kdf) };
      await writeFileAtomic(this.path, serializeVault(next));
      this.setUnlocked(dataKey, entries);
      return this.changed();
    });
  }

  /** A secret with its value, by id or by (unique) label. Main/host side only. */
  getSecret(ref: string): Secret {
    this.requireUnlocked();
    const found = this.entries.find((e) => e.id === ref) ?? this.entries.find((e) => e.label === ref);
    if (!found) throw new ApiErrorException('not-found', `no secret '${ref}' in the vault`);
    return { ...found };
  }

  /** Every secret value currently known, for redaction (empty while locked). */
  secretValues(): string[] {
    const out: string[] = [];
    for (const e of this.entries) {
      out.push(e.value);
      if (e.keyPassphrase) out.push(e.keyPassphrase);
    }
    return out;
  }

  private async exists(): Promise<boolean> {
    try {
      await stat(this.path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  private async readFileChecked(): Promise<VaultFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new ApiErrorException('not-found', `no vault at ${this.path} (create one first)`, { cause: err });
      throw err;
    }
    try {
      return vaultFileSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new ApiErrorException('vault-corrupt', `the vault file ${this.path} is damaged or not a Switchyard vault`, {
        cause: err,
      });
    }
  }

  private decryptEntries(dataKey: Buffer, file: VaultFile): VaultEntry[] {
    try {
      return openEntries(dataKey, file);
    } catch (err) {
      throw new ApiErrorException(
        'vault-corrupt',
        `the vault file ${this.path} failed its integrity check (altered or damaged); it was left as it is`,
        { cause: err },
      );
    }
  }

  private async mutate(dataKey: Buffer, change: (entries: VaultEntry[]) => VaultEntry[]): Promise<void> {
    const file = await this.readFileChecked();
    const next = change(this.decryptEntries(dataKey, file));
    await writeFileAtomic(this.path, serializeVault({ ...file, data: sealEntries(dataKey, next) }));
    this.entries = next;
  }

  private requireUnlocked(): Buffer {
    if (!this.dataKey) throw new ApiErrorException('vault-locked', 'the vault is locked');
    return this.dataKey;
  }

  private setUnlocked(dataKey: Buffer, entries: VaultEntry[]): void {
    if (this.dataKey && this.dataKey !== dataKey) this.dataKey.fill(0);
    this.dataKey = dataKey;
    this.entries = entries;
  }

  private saveToKeychain(): void {
    if (!this.keyStore?.available())
      throw new ApiErrorException('precondition-failed', 'no OS keychain is available on this machine');
    this.keyStore.save(Buffer.from(this.requireUnlocked()));
  }

  private keychainState(): VaultStatus['keychain'] {
    if (!this.keyStore?.available()) return 'unavailable';
    return this.keyStore.load() ? 'in-use' : 'available';
  }

  private async changed(): Promise<VaultStatus> {
    const s = await this.status();
    for (const l of this.listeners) l(s);
    return s;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function toMeta(e: VaultEntry): SecretMeta {
  const m: SecretMeta = { id: e.id, kind: e.kind, label: e.label, createdAt: e.createdAt };
  if (e.fingerprint !== undefined) m.fingerprint = e.fingerprint;
  if (e.encryptedKey !== undefined) m.encryptedKey = e.encryptedKey;
  return m;
}
