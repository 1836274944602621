import { z } from 'zod';

/** Error codes that cross the contract. Electron keeps only an error's message across invoke, so errors
 * travel as plain data inside the result instead of being thrown. */
export type ErrorCode =
  | 'invalid-argument'
  | 'not-found'
  | 'vault-locked'
  | 'vault-bad-passphrase'
  | 'vault-corrupt'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-rejected'
  | 'auth-failed'
  | 'unreachable'
  | 'timeout'
  | 'aborted'
  | 'command-failed'
  | 'parse-error'
  | 'conflict'
  | 'precondition-failed'
  | 'confirmation-required'
  | 'internal';

export interface ApiError {
  code: ErrorCode;
  message: string;
  /** Plain data only; never a secret. */
  detail?: Record<string, unknown>;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** A method of the contract: a zod tuple validating its arguments, and the (type-only) result. */
export interface MethodSpec<A extends z.ZodTuple, R> {
  readonly args: A;
  /** Phantom field carrying the result type; never read at run time. */
  readonly result?: R;
}

export function method<R>() {
  return <A extends z.ZodTuple>(args: A): MethodSpec<A, R> => ({ args });
}

export type Domain = Record<string, MethodSpec<z.ZodTuple, unknown>>;
export type ContractShape = Record<string, Domain>;

type ResultOf<M> = M extends MethodSpec<z.ZodTuple, infer R> ? R : never;
type ArgsOf<M> = M extends MethodSpec<infer A, unknown> ? z.input<A> : never;
type ParsedArgsOf<M> = M extends MethodSpec<infer A, unknown> ? z.output<A> : never;

/** What the renderer calls: every method returns a promise of an ApiResult. */
export type ClientOf<C extends ContractShape> = {
  [D in keyof C]: {
    [M in keyof C[D]]: (...args: ArgsOf<C[D][M]>) => Promise<ApiResult<ResultOf<C[D][M]>>>;
  };
};

/** What core/node implements: plain async functions that throw ApiErrorException on failure. */
export type HandlersOf<C extends ContractShape, Ctx> = {
  [D in keyof C]: {
    [M in keyof C[D]]: (ctx: Ctx, ...args: ParsedArgsOf<C[D][M]>) => Promise<ResultOf<C[D][M]>>;
  };
};

/** Thrown by handlers; the dispatcher turns it into `{ ok: false, error }`. */
export class ApiErrorException extends Error {
  readonly code: ErrorCode;
  readonly detail?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiErrorException';
    this.code = code;
    if (options?.detail) this.detail = options.detail;
  }
  toApiError(): ApiError {
    return this.detail
      ? { code: this.code, message: this.message, detail: this.detail }
      : { code: this.code, message: this.message };
  }
}

/** `domain.method` — the single naming rule for IPC channels and WebSocket frames. */
export function channelName(domain: string, name: string): string {
  return `${domain}.${name}`;
}

/** Enumerates all `domain.method` channels of a contract (used by preload, browser client, ipc and host). */
export function listChannels(contract: ContractShape): { domain: string; name: string; channel: string }[] {
  const out: { domain: string; name: string; channel: string }[] = [];
  for (const [domain, methods] of Object.entries(contract)) {
    for (const name of Object.keys(methods)) out.push({ domain, name, channel: channelName(domain, name) });
  }
  return out;
}
