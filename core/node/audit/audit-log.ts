import { open, readFile, type FileHandle } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEntry } from '../../common/contract/foundation';
import { redactArgv, redactedTail, redactText } from '../../common/redact';

export const AUDIT_TAIL_CHARS = 2048;

/** What a caller records; the log assigns the id, cuts the tails and redacts. */
export interface AuditRecord {
  hostId: string;
  argv: string[];
  origin: string;
  startedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  error?: string;
  /** Extra values to redact for this record (ExecOptions.redact). */
  redact?: string[];
}

export interface AuditFilter {
  hostId?: string;
  text?: string;
  failedOnly?: boolean;
  limit?: number;
}

export interface AuditLogOptions {
  path: string;
  /** Current vault secret values (redacted wherever they appear). */
  secretValues?: () => string[];
  /** Entries kept in memory for `list` (the file keeps everything). */
  memoryLimit?: number;
}

/**
 * Append-only JSONL log of every remote command. Secrets are removed before anything reaches the file or a
 * listener. Appends are serialized; ids increase across restarts.
 */
export class AuditLog {
  readonly path: string;
  private readonly secretValues: () => string[];
  private readonly memoryLimit: number;
  private entries: AuditEntry[] = [];
  private nextId = 1;
  private loaded: Promise<void> | null = null;
  private fh: FileHandle | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(e: AuditEntry) => void>();

  constructor(options: AuditLogOptions) {
    this.path = options.path;
    this.secretValues = options.secretValues ?? (() => []);
    this.memoryLimit = options.memoryLimit ?? 10_000;
  }

  onAppended(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(record: AuditRecord): Promise<AuditEntry> {
    const run = this.queue.then(async () => {
      await this.load();
      const values = [...this.secretValues(), ...(record.redact ?? [])];
      const entry: AuditEntry = {
        id: this.nextId++,
        hostId: record.hostId,
        argv: redactArgv(record.argv, values),
        startedAt: record.startedAt,
        durationMs: Math.round(record.durationMs),
        exitCode: record.exitCode,
        signal: record.signal,
        timedOut: record.timedOut,
        stdoutTail: redactedTail(record.stdout, AUDIT_TAIL_CHARS, values),
        stderrTail: redactedTail(record.stderr, AUDIT_TAIL_CHARS, values),
        origin: record.origin,
      };
      if (record.error !== undefined) entry.error = redactText(record.error, values);
      if (!this.fh) {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        this.fh = await open(this.path, 'a', 0o600);
      }
      await this.fh.write(`${JSON.stringify(entry)}\n`);
      this.remember(entry);
      for (const l of this.listeners) l(entry);
      return entry;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Newest first. */
  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    await this.load();
    const text = filter.text?.toLowerCase();
    const out: AuditEntry[] = [];
    const limit = filter.limit ?? 500;
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i];
      if (!e) continue;
      if (filter.hostId !== undefined && e.hostId !== filter.hostId) continue;
      if (filter.failedOnly && !isFailure(e)) continue;
      if (text !== undefined && !haystack(e).includes(text)) continue;
      out.push(e);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.fh?.close();
    this.fh = null;
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      let text = '';
      try {
        text = await readFile(this.path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          const e = JSON.parse(line) as AuditEntry;
          this.remember(e);
          if (typeof e.id === 'number' && e.id >= this.nextId) this.nextId = e.id + 1;
        } catch (err) {
          // A torn last line after a crash must not make the whole log unreadable.
          console.warn(`audit: skipping unreadable line in ${this.path}: ${(err as Error).message}`);
        }
      }
    })();
    return this.loaded;
  }

  private remember(e: AuditEntry): void {
    this.entries.push(e);
    if (this.entries.length > this.memoryLimit) this.entries.splice(0, this.entries.length - this.memoryLimit);
  }
}

export function isFailure(e: AuditEntry): boolean {
  return e.exitCode !== 0 || e.signal !== null || e.timedOut || e.error !== undefined;
}

function haystack(e: AuditEntry): string {
  return `${e.hostId}\n${e.argv.join(' ')}\n${e.origin}\n${e.stdoutTail}\n${e.stderrTail}\n${e.error ?? ''}`.toLowerCase();
}
