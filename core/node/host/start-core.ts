import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppInfo } from '../../common/contract/index';
import { packageRoot } from '../package-root';
import { dataPaths, resolveHome } from '../paths';
import { createCoreServices } from '../services';
import type { VaultKeyStore } from '../vault/key-store';
import { createHostRuntime, type HostRuntime } from './runtime';

export interface StartCoreOptions {
  mode: AppInfo['mode'];
  home?: string;
  version?: string;
  vaultKeyStore?: VaultKeyStore;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch (err) {
    console.warn('cannot read package version:', err instanceof Error ? err.message : err);
    return '0.0.0';
  }
}

/** Builds core services and the shared host runtime: the one wiring used by Electron main and `switchyard serve`. */
export async function startCore(o: StartCoreOptions): Promise<HostRuntime> {
  const home = resolveHome(o.home);
  const paths = dataPaths(home);
  const runtime = createHostRuntime({
    mode: o.mode,
    home,
    makeServices: (hostKeyDecider) =>
      createCoreServices(
        o.vaultKeyStore ? { home, hostKeyDecider, vaultKeyStore: o.vaultKeyStore } : { home, hostKeyDecider },
      ),
    appInfo: {
      version: o.version ?? packageVersion(),
      platform: process.platform,
      inventoryPath: paths.inventory,
      dataDir: home,
    },
  });
  if (o.vaultKeyStore) {
    // A missing or unreadable vault file is reported by vault.status in the UI; startup goes on either way.
    await runtime.services.vault.unlockWithKeychain?.().catch((err: unknown) => {
      console.warn('keychain unlock failed:', err instanceof Error ? err.message : err);
      return false;
    });
  }
  return runtime;
}
