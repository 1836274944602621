import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiErrorException } from '../../common/contract/define';
import type { InventoryProblem, InventoryState } from '../../common/contract/foundation';
import { parseInventory } from '../../common/inventory/parse';
import type { Host, Inventory } from '../../common/inventory/schema';
import { writeFileAtomic } from '../atomic-write';
import { importCloudsYaml } from './import-clouds';
import { importSshConfig } from './import-ssh-config';

/** What a new data directory starts with. */
export const EMPTY_INVENTORY = 'version: 1\nsites: []\nclusters: []\nhosts: []\nglance:\n  stores: []\n';

/**
 * The inventory file: load, validate (errors name file, line and field), save atomically (refusing invalid
 * text), and look hosts up for the SSH pool. The parsed file is cached by mtime+size.
 */
export class InventoryStore {
  readonly path: string;
  private cache: { stamp: string; state: InventoryState } | null = null;

  constructor(path: string) {
    this.path = path;
  }

  async get(): Promise<InventoryState> {
    let text: string;
    let stamp: string;
    try {
      const st = await stat(this.path);
      stamp = `${st.mtimeMs}:${st.size}`;
      if (this.cache?.stamp === stamp) return this.cache.state;
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return this.stateOf(EMPTY_INVENTORY);
    }
    const state = this.stateOf(text);
    this.cache = { stamp, state };
    return state;
  }

  validate(text: string): InventoryProblem[] {
    return parseInventory(text, this.path).problems;
  }

  /** Writes the text if it is valid; otherwise returns the problems and leaves the file alone. */
  async save(text: string): Promise<InventoryState> {
    const state = this.stateOf(text);
    if (state.errors.length > 0) return state;
    await writeFileAtomic(this.path, text, 0o600);
    this.cache = null;
    return state;
  }

  /** The validated inventory; an invalid file is a parse-error naming its first problem. */
  async load(): Promise<Inventory> {
    const state = await this.get();
    if (!state.inventory) {
      const p = state.errors[0];
      const where = p
        ? `${p.file}${p.line === null ? '' : `:${p.line}`}${p.field ? ` (${p.field})` : ''}: ${p.message}`
        : this.path;
      throw new ApiErrorException('parse-error', `the inventory is invalid: ${where}`, {
        detail: { problems: state.errors },
      });
    }
    return state.inventory;
  }

  async getHost(id: string): Promise<Host | undefined> {
    return (await this.load()).hosts.find((h) => h.id === id);
  }

  /** Hosts from ssh_config text, or from ~/.ssh/config when no text is given. */
  async importSshConfig(text?: string): Promise<Host[]> {
    return importSshConfig(text ?? (await readOptional(join(homedir(), '.ssh', 'config'))));
  }

  /** Cloud names from clouds.yaml text, or from the usual places (./clouds.yaml, ~/.config/openstack, /etc/openstack). */
  async importCloudsYaml(text?: string): Promise<{ clouds: string[] }> {
    if (text !== undefined) return { clouds: importCloudsYaml(text).clouds };
    for (const p of [
      'clouds.yaml',
      join(homedir(), '.config', 'openstack', 'clouds.yaml'),
      '/etc/openstack/clouds.yaml',
    ]) {
      const t = await readOptional(p);
      if (t !== '') return { clouds: importCloudsYaml(t).clouds };
    }
    return { clouds: [] };
  }

  private stateOf(text: string): InventoryState {
    const r = parseInventory(text, this.path);
    return { path: this.path, text, inventory: r.inventory, errors: r.problems };
  }
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
