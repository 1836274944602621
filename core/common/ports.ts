/**
 * Ports: what core needs from the outside world. Core never prompts or opens sockets itself; the host side
 * (core/node, Electron main, the local host) implements these, and tests implement them too.
 */

/** The part of the DOM/Node AbortSignal core uses (core/common has no DOM or Node types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface ExecOptions {
  /** Wall-clock limit; the channel is closed and the result marked timedOut when it passes. */
  timeoutMs?: number;
  signal?: AbortSignalLike;
  /** Bytes kept per stream; the rest is counted but dropped (result.truncated). */
  maxOutputBytes?: number;
  /** Written to the remote command's stdin, then EOF. Use this for anything secret (never argv). */
  stdin?: string;
  /** Values to redact from the audit log if they ever appear in output. */
  redact?: string[];
  /** stdout carries a secret (a Keystone token): the audit log records its size only, never its text. */
  secretStdout?: boolean;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ExecResult {
  hostId: string;
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
}

/** Runs one argv on one inventory host (over SSH in production). */
export interface CommandRunner {
  run(hostId: string, argv: string[], options?: ExecOptions): Promise<ExecResult>;
}

export interface HostKeyQuestion {
  hostId: string;
  host: string;
  port: number;
  keyType: string;
  /** `SHA256:...` exactly as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** Asked when a host presents a key the known-hosts store has never seen. A changed key is never asked. */
export type HostKeyDecider = (question: HostKeyQuestion) => Promise<boolean>;

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignalLike): Promise<void>;
}
