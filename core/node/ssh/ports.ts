import type { Host } from '../../common/inventory/schema';

/** Where the pool finds hosts (the inventory in production; a literal map in tests and benches). */
export interface InventoryProvider {
  getHost(id: string): Host | undefined | Promise<Host | undefined>;
}

/** Where the pool finds credentials named by `auth.keyRef` / `auth.passwordRef` (the vault). */
export interface SecretProvider {
  getSecret(ref: string): { value: string; keyPassphrase?: string };
}
