import { randomUUID } from 'node:crypto';
import {
  ApiErrorException,
  listChannels,
  type ApiError,
  type ApiResult,
  type ContractShape,
  type HandlersOf,
  type MethodSpec,
} from '../../common/contract/index';
import type { z } from 'zod';

/** Who is calling; handlers rarely need it, but terminals and logs do. */
export interface CallContext {
  transport: 'electron' | 'websocket' | 'test';
  /** Connection or webContents id, for per-client resources. */
  clientId: string;
}

export interface DispatcherOptions {
  /** Where unexpected errors go (with their stack); the caller only ever sees a reference. */
  logError?: (ref: string, channel: string, err: unknown) => void;
}

export type Dispatch = (channel: string, args: unknown, ctx: CallContext) => Promise<ApiResult<unknown>>;

type AnyHandler = (ctx: CallContext, ...args: unknown[]) => Promise<unknown>;

/**
 * Builds the single entry point both transports use: look the channel up, validate the arguments with the
 * contract's zod tuple, call the handler, and turn every outcome into plain data. Stack traces and messages of
 * unexpected errors stay on the host (they may quote paths or, worse, secrets); the caller gets a reference.
 */
export function createDispatcher<C extends ContractShape>(
  contract: C,
  handlers: HandlersOf<C, CallContext>,
  options: DispatcherOptions = {},
): Dispatch {
  const table = new Map<string, { spec: MethodSpec<z.ZodTuple, unknown>; handler: AnyHandler }>();
  const handlerDomains = handlers as unknown as Record<string, Record<string, AnyHandler | undefined> | undefined>;
  for (const { domain, name, channel } of listChannels(contract)) {
    const spec = contract[domain]?.[name];
    const handler = handlerDomains[domain]?.[name];
    if (!spec || typeof handler !== 'function') throw new Error(`no handler for ${channel}`);
    table.set(channel, { spec, handler });
  }
  const logError = options.logError ?? ((ref, channel, err) => console.error(`[${ref}] ${channel} failed:`, err));

  return async (channel, args, ctx) => {
    const entry = table.get(channel);
    if (!entry) return fail({ code: 'not-found', message: `unknown channel ${String(channel).slice(0, 100)}` });
    const parsed = entry.spec.args.safeParse(Array.isArray(args) ? args : [args]);
    if (!parsed.success) return fail({ code: 'invalid-argument', message: describeIssues(parsed.error.issues) });
    try {
      const value = await entry.handler(ctx, ...(parsed.data as unknown[]));
      return { ok: true, value: value === undefined ? null : value };
    } catch (err) {
      return fail(toApiError(err, (ref) => logError(ref, channel, err)));
    }
  };
}

function fail(error: ApiError): ApiResult<never> {
  return { ok: false, error };
}

/** Zod issue messages name the path and the rule, never the offending value (it may be a passphrase). */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.length > 0 ? `argument ${i.path.map(String).join('.')}` : 'arguments';
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Errors that already speak the contract (core's XError classes may implement toApiError too). */
interface ApiErrorLike {
  toApiError(): ApiError;
}
function isApiErrorLike(err: unknown): err is ApiErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { toApiError?: unknown }).toApiError === 'function';
}

export function toApiError(err: unknown, logUnexpected: (ref: string) => void): ApiError {
  if (err instanceof ApiErrorException) return err.toApiError();
  if (isApiErrorLike(err)) {
    const e = err.toApiError();
    if (e && typeof e.code === 'string' && typeof e.message === 'string') return e;
  }
  const ref = randomUUID().slice(0, 8);
  logUnexpected(ref);
  return { code: 'internal', message: `internal error (reference ${ref}; details are in the host log)` };
}
