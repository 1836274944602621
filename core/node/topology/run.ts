/**
 * One command on one host for discovery: never throws. An SSH failure, a timeout, a non-zero exit or output that
 * does not parse becomes a DiscoveryProblem with the reason and the tail of stderr.
 */
import type { CommandRunner, ExecOptions, ExecResult } from '../../common/ports';
import type { ParseResult } from '../../common/parsers/result';
import type { DiscoveryProblem, ProblemCode } from '../../common/topology/model';

export interface Call {
  runner: CommandRunner;
  hostId: string;
  scope: DiscoveryProblem['scope'];
  subject: string;
  timeoutMs: number;
  signal?: ExecOptions['signal'];
  stdin?: string;
  /** Streamed output: every chunk as it arrives (the result's stdout then holds only the first keepBytes). */
  onStdout?: (chunk: string) => void;
  keepBytes?: number;
}

export type CallOutcome<T> =
  { ok: true; value: T; result: ExecResult } | { ok: false; problem: DiscoveryProblem; result: ExecResult | null };

const tail = (s: string, n = 600): string => (s.length > n ? `…${s.slice(-n)}` : s).trim();

export function classify(r: ExecResult): { code: ProblemCode; message: string } {
  const err = r.stderr;
  if (r.timedOut) return { code: 'timeout', message: `no answer within ${Math.round(r.durationMs / 1000)} s` };
  if (
    /permission denied|EACCES|\(13\)|\(1\) Operation not permitted|a password is required|not allowed to execute/i.test(
      err,
    )
  ) {
    return { code: 'permission-denied', message: `permission denied: ${firstLine(err)}` };
  }
  if (
    r.exitCode === 110 ||
    /couldn't connect to the cluster|timed out|error connecting to the cluster|ETIMEDOUT/i.test(err)
  ) {
    return { code: 'unreachable', message: `cluster unreachable: ${firstLine(err) || `exit ${String(r.exitCode)}`}` };
  }
  if (r.exitCode === 127) return { code: 'command-failed', message: `command not found on host: ${firstLine(err)}` };
  return {
    code: 'command-failed',
    message: `exit ${String(r.exitCode ?? r.signal)}: ${firstLine(err) || '(no stderr)'}`,
  };
}

function firstLine(s: string): string {
  // Ceph prefixes log lines with a timestamp and thread id; the last meaningful line says what failed.
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const meaningful = lines.filter((l) => !/^\d{4}-\d\d-\d\dT/.test(l));
  return (meaningful.at(-1) ?? lines.at(-1) ?? '').slice(0, 300);
}

export async function runParsed<T>(
  c: Call,
  argv: string[],
  parse: (stdout: string) => ParseResult<T>,
): Promise<CallOutcome<T>> {
  const opts: ExecOptions & { origin: string } = {
    timeoutMs: c.timeoutMs,
    maxOutputBytes: c.keepBytes ?? 512 * 1024 * 1024,
    origin: 'topology',
  };
  if (c.signal) opts.signal = c.signal;
  if (c.onStdout) opts.onStdout = c.onStdout;
  if (c.stdin !== undefined) opts.stdin = c.stdin;
  let r: ExecResult;
  try {
    r = await c.runner.run(c.hostId, argv, opts);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      result: null,
      problem: {
        scope: c.scope,
        subject: c.subject,
        hostId: c.hostId,
        code: code === 'timeout' ? 'timeout' : 'unreachable',
        message: `ssh: ${message}`,
        argv,
      },
    };
  }
  if (r.exitCode !== 0 || r.timedOut) {
    const k = classify(r);
    return {
      ok: false,
      result: r,
      problem: { scope: c.scope, subject: c.subject, hostId: c.hostId, ...k, argv, stderr: tail(r.stderr) },
    };
  }
  // A streamed output is consumed by its parser (which knows when it is complete): the kept head is only for text.
  if (r.truncated && !c.onStdout) {
    return {
      ok: false,
      result: r,
      problem: {
        scope: c.scope,
        subject: c.subject,
        hostId: c.hostId,
        code: 'parse-error',
        message: 'output exceeded the cap and was truncated',
        argv,
      },
    };
  }
  const p = parse(r.stdout);
  if (!p.ok) {
    return {
      ok: false,
      result: r,
      problem: {
        scope: c.scope,
        subject: c.subject,
        hostId: c.hostId,
        code: 'parse-error',
        message: p.error.message,
        argv,
        stderr: p.error.snippet,
      },
    };
  }
  // The parsed value is all discovery keeps: do not hold megabytes of stdout (20k images ≈ 10 MiB per pool)
  // until every other pool has answered.
  return { ok: true, value: p.value, result: { ...r, stdout: '' } };
}

/** A parser fed stdout as it arrives (onStdout), for outputs too big to hold twice (the pool reader's lines). */
export interface StreamParser<T> {
  push(chunk: string): void;
  finish(): ParseResult<T>;
}

/**
 * runParsed for a streamed output: the chunks go to the parser as they arrive and only the first 64 KiB are kept
 * (for messages), so a 20k-image pool is never one big string plus one big JSON tree in the host's heap.
 */
export async function runStreamed<T>(c: Call, argv: string[], parser: StreamParser<T>): Promise<CallOutcome<T>> {
  let streamed = false;
  const onStdout = (s: string): void => {
    streamed = true;
    parser.push(s);
  };
  // A runner that does not stream (a test double, a wrapper) hands the whole text back instead: feed it then.
  return runParsed({ ...c, onStdout, keepBytes: 64 * 1024 }, argv, (stdout) => {
    if (!streamed) parser.push(stdout);
    return parser.finish();
  });
}

/** Runs tasks with at most `limit` in flight (the SSH pool caps channels per connection too). */
export async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      const t = tasks[i];
      if (t) out[i] = await t();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
