/**
 * `window.api` for browser mode: the same typed `Api` as the Electron preload, over the local host's WebSocket.
 *
 * The token arrives in the URL fragment (`#token=…`): browsers never send a fragment to the server, so it stays
 * out of request lines, access logs and Referer headers. It is moved to sessionStorage (so a reload of this tab
 * still works, and a new tab needs the printed URL again) and wiped from the address bar. It travels to the host
 * as a WebSocket subprotocol, not in the WebSocket URL.
 */
import {
  contract,
  listChannels,
  type Api,
  type ApiEventName,
  type ApiEvents,
  type ApiResult,
} from '../../core/common/contract/index';

const TOKEN_KEY = 'switchyard.token';
const API_PROTOCOL = 'switchyard.v1';
const TOKEN_PREFIX = 'switchyard-token.';

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'no-token';
type Resolver = (r: ApiResult<unknown>) => void;

function takeToken(): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return m[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const stateListeners = new Set<(s: ConnectionState) => void>();
let state: ConnectionState = 'connecting';
function setState(s: ConnectionState): void {
  state = s;
  for (const l of stateListeners) l(s);
}
export function connectionState(): ConnectionState {
  return state;
}
export function onConnectionState(l: (s: ConnectionState) => void): () => void {
  stateListeners.add(l);
  return () => stateListeners.delete(l);
}

export function createBrowserApi(): Api {
  const token = takeToken();
  const pending = new Map<number, Resolver>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let nextId = 1;
  let ws: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;
  let retryMs = 500;

  const failAll = (message: string) => {
    for (const [, resolve] of pending) resolve({ ok: false, error: { code: 'unreachable', message } });
    pending.clear();
  };

  const connect = (): Promise<WebSocket> => {
    if (opened) return opened;
    if (!token) {
      setState('no-token');
      return Promise.reject(new Error('no token: open the URL printed by `switchyard serve`'));
    }
    setState('connecting');
    opened = new Promise<WebSocket>((resolve, reject) => {
      const sock = new WebSocket(`ws://${window.location.host}/ws`, [API_PROTOCOL, TOKEN_PREFIX + token]);
      sock.onopen = () => {
        ws = sock;
        retryMs = 500;
        setState('open');
        resolve(sock);
      };
      sock.onmessage = (ev: MessageEvent<string>) => onFrame(ev.data);
      sock.onclose = () => {
        const wasOpen = ws === sock;
        ws = null;
        opened = null;
        setState('closed');
        failAll('lost the connection to the Switchyard host');
        if (!wasOpen) reject(new Error('the Switchyard host refused or is not running'));
        // Keep trying: the host may be restarting. Back off up to 10 s.
        setTimeout(() => void connect().catch(() => undefined), retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      };
    });
    return opened;
  };

  const onFrame = (raw: string) => {
    let frame: { id?: number | null; result?: ApiResult<unknown>; event?: string; payload?: unknown };
    try {
      frame = JSON.parse(raw) as typeof frame;
    } catch {
      console.error('unreadable frame from host');
      return;
    }
    if (typeof frame.event === 'string') {
      for (const l of listeners.get(frame.event) ?? []) l(frame.payload);
      return;
    }
    if (typeof frame.id === 'number' && frame.result) {
      pending.get(frame.id)?.(frame.result);
      pending.delete(frame.id);
    }
  };

  const invoke = async (channel: string, args: unknown[]): Promise<ApiResult<unknown>> => {
    let sock: WebSocket;
    try {
      sock = ws ?? (await connect());
    } catch (err) {
      return {
        ok: false,
        error: { code: 'unreachable', message: err instanceof Error ? err.message : 'not connected' },
      };
    }
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      sock.send(JSON.stringify({ id, channel, args }));
    });
  };

  const api: Record<string, Record<string, (...args: unknown[]) => Promise<ApiResult<unknown>>>> = {};
  for (const { domain, name, channel } of listChannels(contract)) {
    (api[domain] ??= {})[name] = (...args: unknown[]) => invoke(channel, args);
  }
  const events = {
    on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
  };
  void connect().catch(() => undefined);
  return { ...(api as unknown as Omit<Api, 'events'>), events } as Api;
}
