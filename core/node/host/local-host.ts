import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Dispatch } from './dispatcher';
import type { EventBus } from './events';
import { rendererCsp, serveStatic } from './static-files';
import { API_PROTOCOL, generateToken, tokenFromProtocols, tokenMatches } from './token';

export interface LocalHostOptions {
  dispatch: Dispatch;
  events: EventBus;
  /** Built renderer (out/renderer). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only; anything else is refused at start. */
  bindAddress?: string;
  /** Fixed token (tests); default a fresh crypto-random one per launch. */
  token?: string;
  /** A WebSocket client went away: release what it owned (terminals). */
  onClientGone?: (clientId: string) => void;
}

export interface LocalHost {
  /** What the operator opens: the token rides in the fragment, which browsers never send to a server. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** A request frame from the browser client. */
interface RequestFrame {
  id: number;
  channel: string;
  args: unknown;
}

function isRequestFrame(v: unknown): v is RequestFrame {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return typeof f.id === 'number' && typeof f.channel === 'string';
}

/**
 * The browser-mode host: serves the built renderer and the contract over a WebSocket on 127.0.0.1. The upgrade
 * is refused unless it carries the per-launch token (as a WebSocket subprotocol) and comes from our own origin
 * with our own Host header — the latter two stop other web pages and DNS-rebinding tricks in the operator's
 * browser from driving the API.
 */
export async function startLocalHost(o: LocalHostOptions): Promise<LocalHost> {
  const bind = o.bindAddress ?? '127.0.0.1';
  if (!/^127\.\d+\.\d+\.\d+$/.test(bind) && bind !== '::1')
    throw new Error(`refusing to listen on ${bind}: loopback only`);
  const token = o.token ?? generateToken();
  let origin = '';
  let csp = '';
  const hostHeaders = new Set<string>();

  const server = createServer((req, res) => {
    if (!hostHeaders.has(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('wrong Host header\n');
      return;
    }
    serveStatic(o.rendererDir, req, res, csp).catch((err: unknown) => {
      console.error('static file error:', err);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 8 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has(API_PROTOCOL) ? API_PROTOCOL : false),
  });
  let nextClient = 1;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reason = refuseReason(req, { token, origin, hostHeaders });
    if (reason) {
      socket.end(`HTTP/1.1 ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, `ws-${nextClient++}`, o));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, bind, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = bind.includes(':') ? `[${bind}]` : bind;
  origin = `http://${hostPart}:${port}`;
  csp = rendererCsp(`ws://${hostPart}:${port}`);
  hostHeaders.add(`${hostPart}:${port}`);
  if (bind === '127.0.0.1') hostHeaders.add(`localhost:${port}`);

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    close: () =>
      new Promise<void>((done) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function refuseReason(
  req: IncomingMessage,
  s: { token: string; origin: string; hostHeaders: Set<string> },
): string | null {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path !== '/ws') return '404 Not Found';
  if (!s.hostHeaders.has(req.headers.host ?? '')) return '421 Misdirected Request';
  const origin = req.headers.origin;
  const allowedOrigins = [...s.hostHeaders].map((h) => `http://${h}`);
  if (!origin || !allowedOrigins.includes(origin)) return '403 Forbidden';
  const protocols = req.headers['sec-websocket-protocol'];
  if (!tokenMatches(s.token, tokenFromProtocols(Array.isArray(protocols) ? protocols.join(',') : protocols)))
    return '401 Unauthorized';
  return null;
}

function serveClient(ws: WebSocket, clientId: string, o: LocalHostOptions): void {
  const send = (frame: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = o.events.subscribe((event, payload) => send({ event, payload }));
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    let frame: unknown;
    try {
      frame = JSON.parse(raw.toString());
    } catch {
      send({ id: null, result: { ok: false, error: { code: 'invalid-argument', message: 'frame is not JSON' } } });
      return;
    }
    if (!isRequestFrame(frame)) {
      send({
        id: null,
        result: { ok: false, error: { code: 'invalid-argument', message: 'frame must be {id, channel, args}' } },
      });
      return;
    }
    o.dispatch(frame.channel, frame.args ?? [], { transport: 'websocket', clientId })
      .then((result) => send({ id: frame.id, result }))
      .catch((err: unknown) => {
        // dispatch never rejects by design; this is a last line of defence.
        console.error('dispatch crashed:', err);
        send({ id: frame.id, result: { ok: false, error: { code: 'internal', message: 'internal error' } } });
      });
  });
  ws.on('close', () => {
    unsubscribe();
    o.onClientGone?.(clientId);
  });
  ws.on('error', (err) => console.error(`websocket ${clientId}:`, err.message));
}
