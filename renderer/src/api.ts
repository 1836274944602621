/**
 * The renderer's only door to the world. In Electron the preload has put `window.api` in place; in a browser
 * (`switchyard serve`) the same `Api` is built over the local host's WebSocket. Views and stores import `api`
 * and `call` from here, never anything else.
 */
import type { Api, ApiError, ApiResult } from '../../core/common/contract/index';
import { createBrowserApi } from './browser-api';

declare global {
  interface Window {
    api?: Api;
  }
}

export const api: Api = window.api ?? createBrowserApi();
export const inElectron = window.api !== undefined;

/** A failed contract call, thrown by `call` so stores can use try/catch. Carries only plain data. */
export class ApiCallError extends Error {
  readonly code: ApiError['code'];
  readonly detail: Record<string, unknown> | undefined;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.detail = error.detail;
  }
}

type ErrorListener = (err: ApiCallError) => void;
const errorListeners = new Set<ErrorListener>();

/** Lets one place (the host-key store) react to errors from any call, e.g. a changed host key. */
export function onApiError(listener: ErrorListener): () => void {
  errorListeners.add(listener);
  return () => errorListeners.delete(listener);
}

/** Unwraps an ApiResult: the value, or an ApiCallError thrown. */
export async function call<T>(result: Promise<ApiResult<T>>): Promise<T> {
  const r = await result;
  if (r.ok) return r.value;
  const err = new ApiCallError(r.error);
  for (const l of errorListeners) l(err);
  throw err;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
