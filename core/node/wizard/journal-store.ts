/**
 * The journal store: one append-only JSONL file per run in `$SWITCHYARD_HOME/runs/`, each record written with one
 * write(2) and fsynced before `append` returns, so a command's intent is on disk before the command is sent.
 * A torn last line (crash mid-write) is ignored on load; every earlier line must parse.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  reconstruct,
  type JournalRecord,
  type JournalSink,
  type NewRecord,
  type RunSummary,
} from '../../common/wizard/journal';
import { resolveHome } from '../paths';

export function runsDir(home?: string): string {
  return join(resolveHome(home), 'runs');
}

/** Run ids sort by time and carry the wizard id: `20261122T034512Z-ceph-migration-3fa9`. */
export function newRunId(wizardId: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${wizardId}-${randomBytes(2).toString('hex')}`;
}

const RUN_ID = /^[0-9TZ]+-[a-z0-9-]+$/;

export class JournalCorruptError extends Error {
  constructor(file: string, line: number, cause: unknown) {
    super(`journal ${file} line ${line} is not valid JSON`, { cause });
    this.name = 'JournalCorruptError';
  }
}

export class FileJournal implements JournalSink {
  private fd: number;
  private seq: number;
  readonly path: string;

  private constructor(
    readonly runId: string,
    path: string,
    seq: number,
  ) {
    this.path = path;
    this.seq = seq;
    this.fd = openSync(path, 'a', 0o600);
  }

  /** A new, empty journal for a new run. */
  static create(dir: string, runId: string): FileJournal {
    if (!RUN_ID.test(runId)) throw new Error(`bad run id ${runId}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${runId}.jsonl`);
    const fd = openSync(path, 'wx', 0o600);
    closeSync(fd);
    return new FileJournal(runId, path, 0);
  }

  /** Re-opens an existing run for appending (resume). */
  static open(dir: string, runId: string): { journal: FileJournal; records: JournalRecord[] } {
    const records = loadRun(dir, runId);
    // Drop a torn last line before appending, or it would stop being the last line and read as corruption.
    const path = join(dir, `${runId}.jsonl`);
    const text = readFileSync(path, 'utf8');
    if (text.length > 0 && !text.endsWith('\n'))
      truncateSync(path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    const last = records[records.length - 1];
    return { journal: new FileJournal(runId, join(dir, `${runId}.jsonl`), last ? last.seq : 0), records };
  }

  append(record: NewRecord): Promise<JournalRecord> {
    const full = { seq: ++this.seq, ts: new Date().toISOString(), runId: this.runId, ...record } as JournalRecord;
    const line = `${JSON.stringify(full)}\n`;
    writeSync(this.fd, line);
    fsyncSync(this.fd);
    return Promise.resolve(full);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Parses a run's journal. */
export function loadRun(dir: string, runId: string): JournalRecord[] {
  if (!RUN_ID.test(runId)) throw new Error(`bad run id ${runId}`);
  const file = join(dir, `${runId}.jsonl`);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out: JournalRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as JournalRecord);
    } catch (e) {
      // Only the very last line may be torn (the process died inside write(2)).
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new JournalCorruptError(file, i + 1, e);
    }
  });
  return out;
}

export type { RunSummary };

/** Every run in the directory, newest first. Unreadable journals are listed with status "interrupted". */
export function listRuns(dir: string): RunSummary[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: RunSummary[] = [];
  for (const n of names) {
    const runId = n.slice(0, -'.jsonl'.length);
    if (!RUN_ID.test(runId)) continue;
    try {
      const st = reconstruct(loadRun(dir, runId));
      out.push({
        runId,
        wizard: st.wizard,
        title: st.title,
        status: st.status,
        startedAt: st.startedAt,
        updatedAt: st.updatedAt,
        stepsDone: st.steps.filter((s) => s.status === 'done' || s.status === 'skipped').length,
        stepsTotal: st.steps.length,
        ...(st.lastMessage ? { message: st.lastMessage } : {}),
      });
    } catch (e) {
      const mtime = statSync(join(dir, n)).mtime.toISOString();
      out.push({
        runId,
        wizard: '?',
        title: `unreadable journal: ${(e as Error).message}`,
        status: 'interrupted',
        startedAt: mtime,
        updatedAt: mtime,
        stepsDone: 0,
        stepsTotal: 0,
      });
    }
  }
  return out.sort((a, b) => (a.runId < b.runId ? 1 : -1));
}
