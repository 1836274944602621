import { safeStorage } from 'electron';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { VaultKeyStore } from '../../core/node/vault/key-store';

/**
 * The vault's data key wrapped by the OS keychain through safeStorage. On Linux without a secret service,
 * safeStorage "encrypts" with a hard-coded key (backend `basic_text`): that is no keychain, so we say so.
 */
export function safeStorageKeyStore(file: string): VaultKeyStore {
  const available = (): boolean => {
    if (!safeStorage.isEncryptionAvailable()) return false;
    return process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text';
  };
  return {
    available,
    save: (key) => {
      if (!available()) throw new Error('no OS keychain available');
      writeFileSync(file, safeStorage.encryptString(key.toString('base64')), { mode: 0o600 });
      chmodSync(file, 0o600);
    },
    load: () => {
      if (!available()) return null;
      let blob: Buffer;
      try {
        blob = readFileSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      return Buffer.from(safeStorage.decryptString(blob), 'base64');
    },
    clear: () => rmSync(file, { force: true }),
  };
}
