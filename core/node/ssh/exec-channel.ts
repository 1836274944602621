import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { ApiErrorException } from '../../common/contract/define';
import type { AbortSignalLike } from '../../common/ports';

export interface ChannelRunOptions {
  deadline: number;
  signal?: AbortSignalLike;
  maxOutputBytes: number;
  stdin?: string;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ChannelOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
}

/** Keeps at most `cap` bytes of a stream; decodes streamed chunks without splitting UTF-8 sequences. */
class Collector {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  truncated = false;
  private readonly decoder = new StringDecoder('utf8');
  constructor(
    private readonly cap: number,
    private readonly listener?: (s: string) => void,
  ) {}
  push(b: Buffer): void {
    if (this.kept < this.cap) {
      const room = this.cap - this.kept;
      const part = b.length > room ? b.subarray(0, room) : b;
      this.parts.push(part);
      this.kept += part.length;
      if (part.length < b.length) this.truncated = true;
    } else if (b.length > 0) {
      this.truncated = true;
    }
    if (this.listener) {
      const s = this.decoder.write(b);
      if (s) this.listener(s);
    }
  }
  finish(): string {
    if (this.listener) {
      const rest = this.decoder.end();
      if (rest) this.listener(rest);
    }
    return Buffer.concat(this.parts).toString('utf8');
  }
}

const KILL_GRACE_MS = 2000;

/** The ssh2 internals needed to send a signal request after EOF (ssh2's `signal()` silently does nothing once
 * the channel is no longer writable, and we always send EOF right away). */
interface ChannelInternals {
  type?: string;
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
}

/** OpenSSH (>= 7.9) delivers "signal" requests to the session's process group. */
function sendSignal(ch: ClientChannel, name: string): void {
  const c = ch as unknown as ChannelInternals;
  const signal = c._client?._protocol?.signal;
  // After our EOF the outgoing state is 'eof': the channel is still open for requests.
  const state = c.outgoing?.state;
  if (c.type === 'session' && c.outgoing && (state === 'open' || state === 'eof') && signal) {
    signal.call(c._client?._protocol, c.outgoing.id, name);
  } else if (state === 'open') {
    ch.signal(name);
  }
}

/**
 * Drives one exec channel to its end: streams and caps output, writes stdin then EOF, and closes the channel
 * on timeout (result.timedOut) or abort (rejects with `aborted`). Resolves when the channel closes.
 */
export function driveChannel(ch: ClientChannel, o: ChannelRunOptions): Promise<ChannelOutcome> {
  return new Promise<ChannelOutcome>((resolve, reject) => {
    const out = new Collector(o.maxOutputBytes, o.onStdout);
    const err = new Collector(o.maxOutputBytes, o.onStderr);
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let timedOut = false;
    let aborted = false;
    let graceTimer: NodeJS.Timeout | null = null;
    const kill = () => {
      sendSignal(ch, 'KILL');
      ch.close();
      // sshd keeps a session channel open until its process exits; if the signal was not honoured, give up
      // waiting after a grace period rather than hang the caller.
      graceTimer = setTimeout(() => settle(), KILL_GRACE_MS);
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        kill();
      },
      Math.max(0, o.deadline - Date.now()),
    );
    const onAbort = () => {
      aborted = true;
      kill();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    ch.on('data', (b: Buffer) => out.push(b));
    ch.stderr.on('data', (b: Buffer) => err.push(b));
    ch.on('exit', (code: number | null, signal?: string) => {
      exitCode = typeof code === 'number' ? code : null;
      if (signal) exitSignal = signal.startsWith('SIG') ? signal : `SIG${signal}`;
    });
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      o.signal?.removeEventListener('abort', onAbort);
      const stdout = out.finish();
      const stderr = err.finish();
      if (aborted) {
        reject(
          new ApiErrorException('aborted', 'command aborted', {
            detail: { stdoutBytes: stdout.length, stderrBytes: stderr.length },
          }),
        );
        return;
      }
      resolve({
        exitCode: timedOut ? null : exitCode,
        signal: timedOut ? null : exitSignal,
        stdout,
        stderr,
        timedOut,
        truncated: out.truncated || err.truncated,
      });
    };
    // ssh2 repeats the exit status on 'close'. It matters: a fast command's exit-status can arrive in the same
    // TCP read as the exec confirmation, before our 'exit' listener exists (seen through jump hosts).
    ch.on('close', (code?: number | null, signal?: string) => {
      if (exitCode === null && typeof code === 'number') exitCode = code;
      if (exitSignal === null && typeof signal === 'string')
        exitSignal = signal.startsWith('SIG') ? signal : `SIG${signal}`;
      settle();
    });
    // EOF on stdin so commands that read it (cat, ceph -i -) finish instead of waiting forever.
    if (o.stdin !== undefined) ch.end(o.stdin);
    else ch.end();
    if (o.signal?.aborted) onAbort();
  });
}
