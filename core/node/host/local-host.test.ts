import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { method } from '../../common/contract/index';
import { createDispatcher } from './dispatcher';
import { EventBus } from './events';
import { startLocalHost, type LocalHost } from './local-host';
import { API_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from './token';

const c = { demo: { add: method<number>()(z.tuple([z.number(), z.number()])) } };
const events = new EventBus();
let host: LocalHost;
let dir = '';
const gone: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-host-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  const dispatch = createDispatcher(c, { demo: { add: async (_ctx, a, b) => a + b } });
  host = await startLocalHost({ dispatch, events, rendererDir: dir, onClientGone: (id) => gone.push(id) });
});
afterAll(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function connect(opts: { token?: string | null; origin?: string | null; host?: string }): Promise<WebSocket> {
  const protocols = [API_PROTOCOL];
  if (opts.token !== null) protocols.push(TOKEN_PROTOCOL_PREFIX + (opts.token ?? host.token));
  const headers: Record<string, string> = {};
  if (opts.origin !== null) headers.Origin = opts.origin ?? host.origin;
  if (opts.host) headers.Host = opts.host;
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, protocols, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, frame: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (raw: Buffer) => resolve(JSON.parse(raw.toString())));
    ws.send(JSON.stringify(frame));
  });
}

describe('local host', () => {
  it('prints a URL carrying the token in the fragment only', () => {
    expect(host.url).toBe(`${host.origin}/#token=${host.token}`);
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a WebSocket without the token, with a wrong token, a foreign Origin or a foreign Host', async () => {
    await expect(connect({ token: null })).rejects.toThrow('HTTP 401');
    await expect(connect({ token: 'wrong' })).rejects.toThrow('HTTP 401');
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect({ origin: null })).rejects.toThrow('HTTP 403');
    await expect(connect({ host: `rebind.example:${host.port}` })).rejects.toThrow('HTTP 421');
  });

  it('answers request frames and forwards events to an authenticated client', async () => {
    const ws = await connect({});
    expect(ws.protocol).toBe(API_PROTOCOL);
    expect(await call(ws, { id: 7, channel: 'demo.add', args: [2, 3] })).toEqual({
      id: 7,
      result: { ok: true, value: 5 },
    });
    expect(await call(ws, { id: 8, channel: 'demo.add', args: ['2', 3] })).toMatchObject({
      id: 8,
      result: { ok: false, error: { code: 'invalid-argument' } },
    });
    expect(await call(ws, { id: 9, channel: 'demo.nope', args: [] })).toMatchObject({
      id: 9,
      result: { ok: false, error: { code: 'not-found' } },
    });
    const evt = new Promise((resolve) => ws.once('message', (raw: Buffer) => resolve(JSON.parse(raw.toString()))));
    events.emit('inventory.changed', { path: '/x' });
    expect(await evt).toEqual({ event: 'inventory.changed', payload: { path: '/x' } });
    ws.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(gone.length).toBe(1);
  });

  it('serves the renderer with a CSP and refuses a foreign Host header over HTTP', async () => {
    const res = await fetch(`${host.origin}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const traversal = await fetch(`${host.origin}/..%2f..%2fetc%2fpasswd`);
    expect(await traversal.text()).not.toContain('root:');
  });
});
