/**
 * Port for keeping the vault's data key in an OS keychain (Electron's safeStorage implements it in electron/).
 * When it holds the key, the vault opens without the passphrase; the passphrase still works and stays the
 * recovery path. Implementations must report `available() === false` when the "keychain" would be a fixed
 * key on disk (safeStorage's basic_text backend on Linux without a secret service).
 */
export interface VaultKeyStore {
  available(): boolean;
  save(key: Buffer): void;
  load(): Buffer | null;
  clear(): void;
}
