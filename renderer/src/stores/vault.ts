import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SecretKind, SecretMeta, VaultStatus } from '../../../core/common/contract/index';
import { api, call, errorMessage } from '../api';

export const useVaultStore = defineStore('vault', () => {
  const status = ref<VaultStatus | null>(null);
  const secrets = ref<SecretMeta[]>([]);
  const error = ref<string | null>(null);
  const busy = ref(false);

  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = true;
    error.value = null;
    try {
      return await fn();
    } catch (err) {
      error.value = errorMessage(err);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  async function refresh(): Promise<void> {
    await run(async () => {
      status.value = await call(api.vault.status());
      secrets.value = status.value.unlocked ? await call(api.vault.list()) : [];
    });
  }
  const afterChange = async (s: VaultStatus) => {
    status.value = s;
    secrets.value = s.unlocked ? await call(api.vault.list()) : [];
  };

  const init = (passphrase: string, useKeychain: boolean) =>
    run(async () => afterChange(await call(api.vault.init({ passphrase, useKeychain }))));
  const unlock = (passphrase: string) => run(async () => afterChange(await call(api.vault.unlock({ passphrase }))));
  const lock = () => run(async () => afterChange(await call(api.vault.lock())));
  const add = (input: { kind: SecretKind; label: string; value: string; keyPassphrase?: string }) =>
    run(async () => {
      const meta = await call(api.vault.add(input));
      secrets.value = await call(api.vault.list());
      return meta;
    });
  const remove = (id: string) =>
    run(async () => {
      await call(api.vault.remove(id));
      secrets.value = await call(api.vault.list());
    });

  api.events.on('vault.changed', (s) => {
    status.value = s;
  });

  return { status, secrets, error, busy, refresh, init, unlock, lock, add, remove };
});
