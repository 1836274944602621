import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiErrorException } from '../../common/contract/define';
import type { KnownHostEntry } from '../../common/contract/foundation';
import { writeFileAtomic } from '../atomic-write';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint';

const storedSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  keyType: z.string(),
  fingerprint: z.string(),
  addedAt: z.string(),
  source: z.enum(['accepted', 'imported']),
  /** base64 public key blob (kept so the entry can be exported back to known_hosts). */
  key: z.string().optional(),
});
type Stored = z.infer<typeof storedSchema>;
const fileSchema = z.object({ version: z.literal(1), entries: z.array(storedSchema) });

export type HostKeyCheck =
  | { status: 'known'; keyType: string; fingerprint: string }
  | { status: 'unknown'; keyType: string; fingerprint: string; otherTypes: string[] }
  | { status: 'changed'; keyType: string; fingerprint: string; previous: KnownHostEntry };

export interface ImportResult {
  imported: number;
  /** Entries already present with the same key. */
  unchanged: number;
  /** Entries that disagree with a key we already trust: the trusted one is kept. */
  conflicts: { host: string; port: number; keyType: string }[];
  /** Lines skipped: markers, wildcard patterns, hashed names that match no candidate, unreadable keys. */
  skipped: number;
}

/**
 * Trusted host keys, keyed by (host, port, key type), in a JSON file. `check` decides known/unknown/changed;
 * the SSH pool asks the operator only for unknown keys and refuses changed ones.
 */
export class KnownHostsStore {
  readonly path: string;
  private entries: Stored[] | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly candidates: () => Promise<{ host: string; port: number }[]>;

  /** `candidates` names the endpoints hashed known_hosts entries are tested against (inventory addresses). */
  constructor(path: string, options: { candidates?: () => Promise<{ host: string; port: number }[]> } = {}) {
    this.path = path;
    this.candidates = options.candidates ?? (() => Promise.resolve([]));
  }

  /** Imports an OpenSSH known_hosts file (default ~/.ssh/known_hosts). */
  async importKnownHosts(path?: string): Promise<ImportResult> {
    const file = path ?? join(homedir(), '.ssh', 'known_hosts');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new ApiErrorException('not-found', `no known_hosts file at ${file}`, { cause: err });
      throw err;
    }
    return this.importOpenSsh(text, await this.candidates());
  }

  async list(): Promise<KnownHostEntry[]> {
    return (await this.load()).map(toEntry);
  }

  /** Key types we already trust for this endpoint (the pool prefers them when negotiating). */
  async knownTypes(host: string, port: number): Promise<string[]> {
    const h = normHost(host);
    return (await this.load()).filter((e) => e.host === h && e.port === port).map((e) => e.keyType);
  }

  async check(host: string, port: number, keyBlob: Buffer): Promise<HostKeyCheck> {
    const keyType = keyTypeOfBlob(keyBlob);
    const fingerprint = sha256Fingerprint(keyBlob);
    const h = normHost(host);
    const same = (await this.load()).filter((e) => e.host === h && e.port === port);
    const match = same.find((e) => e.keyType === keyType);
    if (!match) return { status: 'unknown', keyType, fingerprint, otherTypes: same.map((e) => e.keyType) };
    if (match.fingerprint === fingerprint) return { status: 'known', keyType, fingerprint };
    return { status: 'changed', keyType, fingerprint, previous: toEntry(match) };
  }

  /** Trusts a key. Refuses to replace a different trusted key of the same type (remove it first). */
  add(
    host: string,
    port: number,
    keyBlob: Buffer,
    source: 'accepted' | 'imported' = 'accepted',
  ): Promise<KnownHostEntry> {
    return this.serial(async () => {
      const entries = await this.load();
      const stored = makeStored(host, port, keyBlob, source);
      const existing = entries.find((e) => sameSlot(e, stored));
      if (existing) {
        if (existing.fingerprint === stored.fingerprint) return toEntry(existing);
        throw new ApiErrorException(
          'host-key-changed',
          `${host}:${port} already has a different trusted ${stored.keyType} key (${existing.fingerprint}); remove it before trusting ${stored.fingerprint}`,
        );
      }
      await this.save([...entries, stored]);
      return toEntry(stored);
    });
  }

  remove(slot: { host: string; port: number; keyType: string }): Promise<null> {
    return this.serial(async () => {
      const entries = await this.load();
      const h = normHost(slot.host);
      const next = entries.filter((e) => !(e.host === h && e.port === slot.port && e.keyType === slot.keyType));
      if (next.length === entries.length)
        throw new ApiErrorException('not-found', `no trusted ${slot.keyType} key for ${slot.host}:${slot.port}`);
      await this.save(next);
      return null;
    });
  }

  /**
   * Imports an OpenSSH known_hosts text. Hashed names (`|1|salt|hash`) cannot be reversed; they are imported
   * when they match one of `candidates` (for example every inventory address and port).
   */
  importOpenSsh(text: string, candidates: { host: string; port: number }[] = []): Promise<ImportResult> {
    return this.serial(async () => {
      const entries = [...(await this.load())];
      const result: ImportResult = { imported: 0, unchanged: 0, conflicts: [], skipped: 0 };
      for (const parsed of parseKnownHostsText(text, candidates)) {
        if (parsed === null) {
          result.skipped++;
          continue;
        }
        const stored = makeStored(parsed.host, parsed.port, parsed.key, 'imported');
        const existing = entries.find((e) => sameSlot(e, stored));
        if (!existing) {
          entries.push(stored);
          result.imported++;
        } else if (existing.fingerprint === stored.fingerprint) {
          result.unchanged++;
        } else {
          result.conflicts.push({ host: stored.host, port: stored.port, keyType: stored.keyType });
        }
      }
      if (result.imported > 0) await this.save(entries);
      return result;
    });
  }

  private async load(): Promise<Stored[]> {
    if (this.entries) return this.entries;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (this.entries = []);
      throw err;
    }
    try {
      this.entries = fileSchema.parse(JSON.parse(text)).entries;
    } catch (err) {
      // Never fall back to "trust nothing, ask again": that would turn a damaged file into silent re-trust.
      throw new ApiErrorException('parse-error', `the known-hosts file ${this.path} is damaged; fix or remove it`, {
        cause: err,
      });
    }
    return this.entries;
  }

  private async save(entries: Stored[]): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, entries }, null, 2)}\n`, 0o600);
    this.entries = entries;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export interface ParsedKnownHost {
  host: string;
  port: number;
  keyType: string;
  key: Buffer;
}

/**
 * Parses OpenSSH known_hosts lines. Yields one item per (host pattern, key); `null` for something skipped
 * (@cert-authority/@revoked markers, wildcards, negations, unmatched hashed names, unreadable keys).
 */
export function* parseKnownHostsText(
  text: string,
  candidates: { host: string; port: number }[] = [],
): Generator<ParsedKnownHost | null> {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('@')) {
      yield null;
      continue;
    }
    const [patterns, keyType, keyB64] = line.split(/\s+/);
    if (!patterns || !keyType || !keyB64) {
      yield null;
      continue;
    }
    const key = Buffer.from(keyB64, 'base64');
    let blobType: string;
    try {
      blobType = keyTypeOfBlob(key);
    } catch {
      yield null;
      continue;
    }
    if (blobType !== keyType) {
      yield null;
      continue;
    }
    for (const pattern of patterns.split(',')) {
      const endpoints = pattern.startsWith('|1|') ? matchHashed(pattern, candidates) : parsePattern(pattern);
      if (endpoints.length === 0) yield null;
      for (const ep of endpoints) yield { ...ep, keyType, key };
    }
  }
}

function parsePattern(p: string): { host: string; port: number }[] {
  if (p.startsWith('!') || /[*?]/.test(p)) return [];
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(p);
  if (m?.[1] && m[2]) return [{ host: m[1], port: Number(m[2]) }];
  return [{ host: p, port: 22 }];
}

function matchHashed(p: string, candidates: { host: string; port: number }[]): { host: string; port: number }[] {
  const [, , saltB64, hashB64] = p.split('|');
  if (!saltB64 || !hashB64) return [];
  const salt = Buffer.from(saltB64, 'base64');
  return candidates.filter((c) => {
    const name = c.port === 22 ? c.host : `[${c.host}]:${c.port}`;
    return createHmac('sha1', salt).update(name).digest('base64') === hashB64;
  });
}

function makeStored(host: string, port: number, keyBlob: Buffer, source: 'accepted' | 'imported'): Stored {
  return {
    host: normHost(host),
    port,
    keyType: keyTypeOfBlob(keyBlob),
    fingerprint: sha256Fingerprint(keyBlob),
    addedAt: new Date().toISOString(),
    source,
    key: keyBlob.toString('base64'),
  };
}

function sameSlot(a: Stored, b: Stored): boolean {
  return a.host === b.host && a.port === b.port && a.keyType === b.keyType;
}

function normHost(h: string): string {
  return h.toLowerCase();
}

function toEntry(s: Stored): KnownHostEntry {
  return {
    host: s.host,
    port: s.port,
    keyType: s.keyType,
    fingerprint: s.fingerprint,
    addedAt: s.addedAt,
    source: s.source,
  };
}
