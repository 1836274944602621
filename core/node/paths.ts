import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where Switchyard keeps its state on this machine. One place, so the CLI, the local host and Electron agree. */
export interface DataPaths {
  home: string;
  vault: string;
  knownHosts: string;
  audit: string;
  inventory: string;
  /** Per-run wizard journals and other later state live under here. */
  journals: string;
}

/**
 * Resolves the data directory: explicit argument, then `SWITCHYARD_HOME`, then `~/.switchyard`.
 * Nothing is created here; writers create what they need (mode 0700 for the directory).
 */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit ?? env.SWITCHYARD_HOME;
  if (chosen !== undefined && chosen !== '') return resolve(chosen);
  return join(homedir(), '.switchyard');
}

/** The standard file names inside a data directory. */
export function dataPaths(home: string): DataPaths {
  return {
    home,
    vault: join(home, 'vault.json'),
    knownHosts: join(home, 'known_hosts.json'),
    audit: join(home, 'audit.jsonl'),
    inventory: join(home, 'inventory.yaml'),
    journals: join(home, 'journals'),
  };
}

/** Expands a leading `~/` the way a shell would (ssh_config and operators write paths like that). */
export function expandTilde(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}
