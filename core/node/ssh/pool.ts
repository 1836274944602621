import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { QuoteError, quoteArgv } from '../../common/commands/quote';
import { ApiErrorException } from '../../common/contract/define';
import type { Host } from '../../common/inventory/schema';
import type { AbortSignalLike, CommandRunner, ExecOptions, ExecResult, HostKeyDecider } from '../../common/ports';
import type { AuditLog } from '../audit/audit-log';
import { dial, type SshClient } from './connect';
import { isChannelOpenFailure, mapConnectError } from './errors';
import { driveChannel } from './exec-channel';
import type { KnownHostsStore } from './known-hosts';
import type { InventoryProvider, SecretProvider } from './ports';

export interface SshPoolOptions {
  inventory: InventoryProvider;
  knownHosts: KnownHostsStore;
  hostKeyDecider: HostKeyDecider;
  secrets: SecretProvider;
  audit?: AuditLog;
  /** Exec channels in flight per connection. OpenSSH's MaxSessions is 10 and slots free late: 6 is safe. */
  maxChannels?: number;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** Used when a run gives no timeout. */
  defaultTimeoutMs?: number;
  maxOutputBytes?: number;
  /** Idle pooled connections are closed after this long. */
  idleCloseMs?: number;
}

export interface RunOptions extends ExecOptions {
  /** Recorded in the audit log: 'exec', 'cli', 'topology', 'wizard:<run>'. */
  origin?: string;
}

export interface ShellOptions {
  cols: number;
  rows: number;
  /** Run this instead of the login shell: an argv (quoted by quoteArgv) or a line for `sh -c`. */
  command?: string | string[];
  term?: string;
}

interface Waiter {
  grant: () => void;
}

interface Link {
  client: SshClient | null;
  connecting: Promise<SshClient> | null;
  active: number;
  waiters: Waiter[];
  failures: number;
  nextAttemptAt: number;
  lastError: ApiErrorException | null;
  idleTimer: NodeJS.Timeout | null;
}

const MiB = 1024 * 1024;

/**
 * SSH connections to inventory hosts, one pooled connection per host, reused by every command. Implements
 * `CommandRunner`: argv in, quoted by the one quoting function, audited, with timeout, abort and output cap.
 */
export class SshPool implements CommandRunner {
  private readonly links = new Map<string, Link>();
  private readonly o: Required<Omit<SshPoolOptions, 'audit'>> & { audit?: AuditLog };
  private closed = false;

  constructor(options: SshPoolOptions) {
    this.o = {
      maxChannels: 6,
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 15_000,
      defaultTimeoutMs: 300_000,
      maxOutputBytes: 16 * MiB,
      idleCloseMs: 300_000,
      ...options,
    };
  }

  /** Runs `argv` on `hostId`. Rejects (typed) when it never started; a timeout after start is `timedOut`. */
  async run(hostId: string, argv: string[], options: RunOptions = {}): Promise<ExecResult> {
    const startedMs = Date.now();
    const startedAt = new Date(startedMs).toISOString();
    const deadline = startedMs + (options.timeoutMs ?? this.o.defaultTimeoutMs);
    try {
      const command = quoteCommand(argv);
      throwIfAborted(options.signal);
      const outcome = await this.withSlot(hostId, deadline, options.signal, async (client, link) => {
        const ch = await this.openExec(hostId, link, client, command, deadline, options.signal);
        return driveChannel(ch, {
          deadline,
          maxOutputBytes: options.maxOutputBytes ?? this.o.maxOutputBytes,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
          ...(options.onStdout ? { onStdout: options.onStdout } : {}),
          ...(options.onStderr ? { onStderr: options.onStderr } : {}),
        });
      });
      if (outcome.exitCode === null && outcome.signal === null && !outcome.timedOut) {
        // sshd always reports an exit status or signal for a command it ran to the end; a channel closed without
        // either means the connection died under it (ssh2 closes every channel of a dead connection). Whether
        // the command completed on the host is unknown: say so as a connection error, never as "exit none".
        throw new ApiErrorException(
          'unreachable',
          `connection to ${hostId} lost while the command ran (no exit status): it may or may not have completed`,
          { detail: { stdoutBytes: outcome.stdout.length, stderrBytes: outcome.stderr.length } },
        );
      }
      const result: ExecResult = { hostId, argv, ...outcome, durationMs: Date.now() - startedMs };
      await this.audit({
        hostId,
        argv,
        options,
        startedAt,
        durationMs: result.durationMs,
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        stdout: options.secretStdout ? `(${result.stdout.length} bytes withheld: secret output)` : result.stdout,
        stderr: result.stderr,
      });
      return result;
    } catch (err) {
      const e = toApiError(err, hostId);
      await this.audit({
        hostId,
        argv,
        options,
        startedAt,
        durationMs: Date.now() - startedMs,
        exitCode: null,
        signal: null,
        timedOut: e.code === 'timeout',
        stdout: '',
        stderr: '',
        error: `${e.code}: ${e.message}`,
      });
      throw e;
    }
  }

  /**
   * An interactive channel with a pty on its own connection (a terminal lives long and must not hold one of
   * the pooled connection's exec slots). The connection ends when the channel closes.
   */
  async shell(hostId: string, opts: ShellOptions): Promise<ClientChannel> {
    const deadline = Date.now() + this.o.connectTimeoutMs;
    const client = await this.openConnection(hostId, deadline, []);
    const pty = { cols: opts.cols, rows: opts.rows, term: opts.term ?? 'xterm-256color' };
    const startedMs = Date.now();
    const argv =
      opts.command === undefined ? null : Array.isArray(opts.command) ? opts.command : ['sh', '-c', opts.command];
    const ch = await new Promise<ClientChannel>((resolve, reject) => {
      const cb = (err: Error | undefined, channel: ClientChannel) =>
        err ? reject(mapConnectError(err, `host ${hostId}`)) : resolve(channel);
      if (argv) client.exec(quoteCommand(argv), { pty }, cb);
      else client.shell(pty, cb);
    }).catch((err: unknown) => {
      client.end();
      throw err;
    });
    let exitCode: number | null = null;
    let signal: string | null = null;
    ch.on('exit', (code: number | null, sig?: string) => {
      exitCode = typeof code === 'number' ? code : null;
      signal = sig ? `SIG${sig}` : null;
    });
    ch.on('close', () => {
      client.end();
      // Terminal contents are not logged (anything may be typed there); the session itself is.
      void this.audit({
        hostId,
        argv: argv ?? ['(interactive shell)'],
        options: { origin: 'terminal' },
        startedAt: new Date(startedMs).toISOString(),
        durationMs: Date.now() - startedMs,
        exitCode,
        signal,
        timedOut: false,
        stdout: '',
        stderr: '',
      });
    });
    return ch;
  }

  /** A TCP stream to dstHost:dstPort opened from `hostId` (direct-tcpip), e.g. for a tunnelled HTTP API. */
  async forwardOut(hostId: string, dstHost: string, dstPort: number): Promise<Duplex> {
    const client = await this.pooledClient(hostId, Date.now() + this.o.connectTimeoutMs, []);
    return forward(client, dstHost, dstPort, hostId);
  }

  /** Ends every connection; pending runs fail. */
  close(): void {
    this.closed = true;
    for (const link of this.links.values()) {
      if (link.idleTimer) clearTimeout(link.idleTimer);
      link.client?.end();
      link.client = null;
    }
    this.links.clear();
  }

  private async resolveHost(hostId: string): Promise<Host> {
    const host = await this.o.inventory.getHost(hostId);
    if (!host) throw new ApiErrorException('not-found', `no host '${hostId}' in the inventory`);
    return host;
  }

  private link(hostId: string): Link {
    let l = this.links.get(hostId);
    if (!l) {
      l = {
        client: null,
        connecting: null,
        active: 0,
        waiters: [],
        failures: 0,
        nextAttemptAt: 0,
        lastError: null,
        idleTimer: null,
      };
      this.links.set(hostId, l);
    }
    return l;
  }

  private async withSlot<T>(
    hostId: string,
    deadline: number,
    signal: AbortSignalLike | undefined,
    fn: (c: SshClient, l: Link) => Promise<T>,
  ): Promise<T> {
    const client = await raceDeadline(
      this.pooledClient(hostId, deadline, []),
      deadline,
      signal,
      `connecting to ${hostId}`,
    );
    const link = this.link(hostId);
    await this.acquire(link, deadline, signal, hostId);
    try {
      return await fn(client, link);
    } finally {
      this.release(link);
    }
  }

  private acquire(link: Link, deadline: number, signal: AbortSignalLike | undefined, hostId: string): Promise<void> {
    if (link.idleTimer) {
      clearTimeout(link.idleTimer);
      link.idleTimer = null;
    }
    if (link.active < this.o.maxChannels) {
      link.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          link.active++;
          resolve();
        },
      };
      const drop = (err: ApiErrorException) => {
        cleanup();
        link.waiters = link.waiters.filter((w) => w !== waiter);
        reject(err);
      };
      const timer = setTimeout(
        () => drop(new ApiErrorException('timeout', `timed out waiting for a free channel on ${hostId}`)),
        Math.max(0, deadline - Date.now()),
      );
      const onAbort = () => drop(new ApiErrorException('aborted', 'command aborted while queued'));
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      link.waiters.push(waiter);
    });
  }

  private release(link: Link): void {
    link.active--;
    const next = link.waiters.shift();
    if (next) {
      next.grant();
      return;
    }
    if (link.active === 0 && link.client && !this.closed) {
      const client = link.client;
      link.idleTimer = setTimeout(() => {
        if (link.client === client && link.active === 0) {
          link.client = null;
          client.end();
        }
      }, this.o.idleCloseMs);
      link.idleTimer.unref();
    }
  }

  /** The pooled connection for a host: reused while open, re-dialled with backoff after failures. */
  private async pooledClient(hostId: string, deadline: number, chain: string[]): Promise<SshClient> {
    if (this.closed) throw new ApiErrorException('precondition-failed', 'the SSH pool is closed');
    // Before looking at a pending connect: in a cycle that pending connect is our own caller.
    if (chain.includes(hostId))
      throw new ApiErrorException('invalid-argument', `jump host cycle: ${[...chain, hostId].join(' -> ')}`);
    const link = this.link(hostId);
    if (link.client) return link.client;
    if (link.connecting) return link.connecting;
    const wait = link.nextAttemptAt - Date.now();
    if (wait > 0 && link.lastError) {
      if (Date.now() + wait >= deadline) {
        throw new ApiErrorException(
          link.lastError.code,
          `${link.lastError.message} (next attempt in ${Math.ceil(wait / 1000)} s)`,
          { cause: link.lastError },
        );
      }
      await new Promise((r) => setTimeout(r, wait));
    }
    const attempt = this.openConnection(hostId, deadline, chain).then(
      (client) => {
        if (this.closed) {
          // close() ran while we were connecting: do not leave a connection nobody will end.
          client.end();
          throw new ApiErrorException('precondition-failed', 'the SSH pool was closed');
        }
        link.client = client;
        link.failures = 0;
        link.lastError = null;
        client.on('close', () => {
          if (link.client === client) link.client = null;
        });
        return client;
      },
      (err: unknown) => {
        const e = toApiError(err, hostId);
        // Only network trouble backs off; a rejected host key or a bad password may be fixed right away.
        if (e.code === 'unreachable' || e.code === 'timeout') {
          link.failures++;
          link.nextAttemptAt = Date.now() + Math.min(30_000, 500 * 2 ** (link.failures - 1));
          link.lastError = e;
        }
        throw e;
      },
    );
    link.connecting = attempt;
    try {
      return await attempt;
    } finally {
      if (link.connecting === attempt) link.connecting = null;
    }
  }

  /** A new authenticated connection, through the jump host (its pooled connection) when there is one. */
  private async openConnection(hostId: string, deadline: number, chain: string[]): Promise<SshClient> {
    if (chain.includes(hostId))
      throw new ApiErrorException('invalid-argument', `jump host cycle: ${[...chain, hostId].join(' -> ')}`);
    const host = await this.resolveHost(hostId);
    let sock: Duplex | undefined;
    if (host.jump) {
      const jumpClient = await this.pooledClient(host.jump, deadline, [...chain, hostId]);
      sock = await forward(jumpClient, host.address, host.port, host.jump);
    }
    const timeoutMs = Math.max(1, Math.min(this.o.connectTimeoutMs, deadline - Date.now()));
    return dial({
      host,
      knownHosts: this.o.knownHosts,
      decider: this.o.hostKeyDecider,
      secrets: this.o.secrets,
      timeoutMs,
      keepaliveIntervalMs: this.o.keepaliveIntervalMs,
      ...(sock ? { sock } : {}),
    });
  }

  /** Opens the exec channel; retries when the server refuses a channel (MaxSessions) or the connection dropped. */
  private async openExec(
    hostId: string,
    link: Link,
    first: SshClient,
    command: string,
    deadline: number,
    signal?: AbortSignalLike,
  ): Promise<ClientChannel> {
    let client = first;
    let reconnected = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise<ClientChannel>((resolve, reject) => {
          try {
            client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      } catch (err) {
        throwIfAborted(signal);
        if (isChannelOpenFailure(err) && attempt < 10 && Date.now() + 20 * (attempt + 1) < deadline) {
          await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
          continue;
        }
        if (!reconnected && /Not connected|No response from server/i.test((err as Error).message)) {
          reconnected = true;
          if (link.client === client) link.client = null;
          client = await raceDeadline(
            this.pooledClient(hostId, deadline, []),
            deadline,
            signal,
            `reconnecting to ${hostId}`,
          );
          continue;
        }
        throw mapConnectError(err, `host ${hostId}`);
      }
    }
  }

  private async audit(a: {
    hostId: string;
    argv: string[];
    options: RunOptions;
    startedAt: string;
    durationMs: number;
    exitCode: number | null;
    signal: string | null;
    timedOut: boolean;
    stdout: string;
    stderr: string;
    error?: string;
  }): Promise<void> {
    if (!this.o.audit) return;
    const { options, ...rest } = a;
    try {
      await this.o.audit.append({
        ...rest,
        origin: options.origin ?? 'exec',
        ...(options.redact ? { redact: options.redact } : {}),
      });
    } catch (err) {
      // Losing an audit line must not turn a finished command into a failure; say so loudly instead.
      console.error(`audit: could not record a command on ${a.hostId}: ${(err as Error).message}`);
    }
  }
}

function quoteCommand(argv: string[]): string {
  try {
    return quoteArgv(argv);
  } catch (err) {
    if (err instanceof QuoteError)
      throw new ApiErrorException('invalid-argument', `cannot send this argv: ${err.message}`, { cause: err });
    throw err;
  }
}

function forward(client: SshClient, dstHost: string, dstPort: number, viaId: string): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, dstHost, dstPort, (err, stream) => {
      if (err)
        reject(
          new ApiErrorException(
            'unreachable',
            `${dstHost}:${dstPort} is unreachable through ${viaId} (${err.message})`,
            { cause: err },
          ),
        );
      else resolve(stream);
    });
  });
}

function throwIfAborted(signal?: AbortSignalLike): void {
  if (signal?.aborted) throw new ApiErrorException('aborted', 'command aborted');
}

function toApiError(err: unknown, hostId: string): ApiErrorException {
  if (err instanceof ApiErrorException) return err;
  return mapConnectError(err, `host ${hostId}`);
}

/** Waits for `p`, but no longer than the deadline or an abort. `p` keeps running (other callers may share it). */
function raceDeadline<T>(
  p: Promise<T>,
  deadline: number,
  signal: AbortSignalLike | undefined,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(() => reject(new ApiErrorException('timeout', `timed out ${what}`))),
      Math.max(0, deadline - Date.now()),
    );
    const onAbort = () => finish(() => reject(new ApiErrorException('aborted', `aborted ${what}`)));
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    p.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}
