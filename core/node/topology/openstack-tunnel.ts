/**
 * OpenStack lists through a forwarded SSH channel (ssh2 `forwardOut`, direct-tcpip) from the controller host to
 * the API endpoints of its Keystone catalog: the host makes the REST calls itself, so a discovery costs no process
 * on the controller once a token is held. The token comes from ONE exec of the REST program in token mode (the
 * credentials stay on the controller: openrc / clouds.yaml, or the vault password on stdin) and is reused until
 * 5 minutes before it expires, or until an API answers 401.
 *
 * Only http endpoints are tunnelled: an https catalog would need the controller's CA bundle here, so the caller
 * falls back to the exec path and says why.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { osRestToken, type OpenstackRole } from '../../common/commands/openstack';
import type { CommandRunner, ExecOptions } from '../../common/ports';
import {
  endpointFor,
  openstackInventoryFromDoc,
  parseKeystoneToken,
  type KeystoneToken,
  type OpenstackInventory,
} from '../../common/parsers/openstack';

/** Opens a TCP stream to dstHost:dstPort from an inventory host (SshPool implements it). */
export interface TcpForwarder {
  forwardOut(hostId: string, dstHost: string, dstPort: number): Promise<Duplex>;
}

export interface TunnelOptions {
  runner: CommandRunner;
  forwarder: TcpForwarder;
  hostId: string;
  role: OpenstackRole;
  timeoutMs: number;
  signal?: ExecOptions['signal'];
  /** The cloud password (vault), sent on stdin of the token exec only. */
  password?: string;
  now: () => number;
}

export type TunnelOutcome =
  | { ok: true; inventory: OpenstackInventory; tokenExec: boolean }
  | {
      ok: false;
      reason: string;
      /** false: an SSH-level failure, the exec path will fail the same way. */ retry: boolean;
    };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP ${String(status)} ${body.slice(0, 300)}`);
    this.name = 'HttpError';
  }
}

const REFRESH_BEFORE_MS = 5 * 60_000;
const PAGE = 1000;

/** Tokens per controller host, kept in memory only (never written, never logged). */
export class OpenstackTunnel {
  private readonly tokens = new Map<string, KeystoneToken>();

  async inventory(o: TunnelOptions): Promise<TunnelOutcome> {
    let tokenExec = false;
    let tok = this.tokens.get(o.hostId);
    if (!tok || (tok.expiresAt !== null && tok.expiresAt - REFRESH_BEFORE_MS < o.now())) {
      const t = await this.fetchToken(o);
      if (!t.ok) return t;
      tok = t.token;
      tokenExec = true;
    }
    let inv = await listAll(o, tok);
    if (inv.unauthorized && !tokenExec) {
      // Revoked or expired early (Keystone restarted with new fernet keys): one new token, one more try.
      const t = await this.fetchToken(o);
      if (!t.ok) return t;
      tok = t.token;
      tokenExec = true;
      inv = await listAll(o, tok);
    }
    if (inv.unauthorized) this.tokens.delete(o.hostId);
    if ('error' in inv) return { ok: false, reason: inv.error, retry: true };
    return { ok: true, inventory: inv.inventory, tokenExec };
  }

  forget(hostId: string): void {
    this.tokens.delete(hostId);
  }

  private async fetchToken(
    o: TunnelOptions,
  ): Promise<{ ok: true; token: KeystoneToken } | { ok: false; reason: string; retry: boolean }> {
    this.tokens.delete(o.hostId);
    let r;
    try {
      r = await o.runner.run(o.hostId, osRestToken(o.role, { passwordOnStdin: o.password !== undefined }), {
        timeoutMs: o.timeoutMs,
        secretStdout: true,
        ...(o.password !== undefined ? { stdin: `${o.password}\n` } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (e) {
      return { ok: false, reason: `token: ${e instanceof Error ? e.message : String(e)}`, retry: false };
    }
    if (r.exitCode !== 0)
      return { ok: false, reason: `token: exit ${String(r.exitCode)}: ${r.stderr.trim().slice(-300)}`, retry: true };
    const t = parseKeystoneToken(r.stdout);
    if (!t.ok) return { ok: false, reason: t.error.message, retry: true };
    const tls = [['image'], ['volumev3', 'block-storage', 'volume'], ['compute']]
      .map((types) => endpointFor(t.value, types))
      .find((u) => u?.startsWith('https:'));
    if (tls) return { ok: false, reason: `endpoint ${tls} is https: not tunnelled`, retry: true };
    this.tokens.set(o.hostId, t.value);
    return { ok: true, token: t.value };
  }
}

type ListResult = { inventory: OpenstackInventory; unauthorized: boolean } | { error: string; unauthorized: boolean };

/** Glance images + stores, Cinder volumes, Nova servers: four paged list calls side by side. */
async function listAll(o: TunnelOptions, tok: KeystoneToken): Promise<ListResult> {
  const doc = {
    images: [] as unknown[],
    stores: [] as unknown[],
    volumes: [] as unknown[],
    servers: [] as unknown[],
    errors: {} as Record<string, string>,
    timingsMs: {} as Record<string, number>,
  };
  let unauthorized = false;
  const channel: string[] = [];
  const get = (url: string, headers: Record<string, string> = {}) =>
    getJson(o, url, { 'X-Auth-Token': tok.token, ...headers });
  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    const t0 = performance.now();
    try {
      await fn();
    } catch (e) {
      if (e instanceof HttpError && e.status === 401) unauthorized = true;
      const message = e instanceof Error ? e.message : String(e);
      doc.errors[name] = message;
      // Not an API answer: the channel itself failed (forwarding refused, endpoint unreachable from the host).
      if (!(e instanceof HttpError)) channel.push(`${name}: ${message}`);
    }
    doc.timingsMs[name] = Math.round(performance.now() - t0);
  };
  const jobs: Promise<void>[] = [];
  const img = endpointFor(tok, ['image'])?.replace(/\/v2$/, '');
  if (img) {
    jobs.push(
      step('images', async () => {
        doc.images = await paged(get, `${img}/v2/images?limit=${String(PAGE)}`, 'images', (b) => {
          const next = (b as { next?: unknown }).next;
          return typeof next === 'string' ? `${img}${next}` : null;
        });
      }),
      step('stores', async () => {
        let b: unknown;
        try {
          b = await get(`${img}/v2/info/stores/detail`);
        } catch (e) {
          // The detail view is admin-only: the plain list still names the stores.
          if (!(e instanceof HttpError)) throw e;
          b = await get(`${img}/v2/info/stores`);
        }
        doc.stores = arrayAt(b, 'stores');
      }),
    );
  } else doc.errors['images'] = 'no image endpoint in the catalog';
  const vol = endpointFor(tok, ['volumev3', 'block-storage', 'volume']);
  if (vol)
    jobs.push(
      step('volumes', async () => {
        doc.volumes = await paged(
          (u) => get(u, { 'OpenStack-API-Version': 'volume 3.64' }),
          `${vol}/volumes/detail?all_tenants=1&limit=${String(PAGE)}`,
          'volumes',
          linkNext('volumes_links'),
        );
      }),
    );
  else doc.errors['volumes'] = 'no volume endpoint in the catalog';
  const comp = endpointFor(tok, ['compute']);
  if (comp)
    jobs.push(
      step('servers', async () => {
        doc.servers = await paged(
          (u) => get(u, { 'X-OpenStack-Nova-API-Version': '2.79' }),
          `${comp}/servers/detail?all_tenants=1&limit=${String(PAGE)}`,
          'servers',
          linkNext('servers_links'),
        );
      }),
    );
  else doc.errors['servers'] = 'no compute endpoint in the catalog';
  await Promise.all(jobs);
  const r = openstackInventoryFromDoc(doc, 'tunnel');
  if (!r.ok) return { error: r.error.message, unauthorized };
  if (channel.length > 0) return { error: channel.join('; '), unauthorized };
  if (unauthorized) return { error: `unauthorized: ${Object.values(doc.errors).join('; ')}`, unauthorized };
  return { inventory: r.value, unauthorized };
}

function arrayAt(b: unknown, key: string): unknown[] {
  const v = b && typeof b === 'object' ? (b as Record<string, unknown>)[key] : undefined;
  return Array.isArray(v) ? (v as unknown[]) : [];
}

function linkNext(key: string): (b: unknown) => string | null {
  return (b) => {
    for (const l of arrayAt(b, key)) {
      const x = l as { rel?: unknown; href?: unknown };
      if (x.rel === 'next' && typeof x.href === 'string') return x.href;
    }
    return null;
  };
}

async function paged(
  get: (url: string) => Promise<unknown>,
  first: string,
  key: string,
  next: (b: unknown) => string | null,
): Promise<unknown[]> {
  const items: unknown[] = [];
  const seen = new Set<string>();
  let url: string | null = first;
  while (url) {
    // A server that hands back the same page forever must not keep discovery spinning.
    if (seen.has(url)) throw new Error(`${key}: pagination loops at ${url}`);
    seen.add(url);
    const b = await get(url);
    for (const x of arrayAt(b, key)) items.push(x);
    url = next(b);
  }
  return items;
}

/** One GET over a fresh direct-tcpip channel (Keystone's uwsgi closes connections anyway). */
function getJson(o: TunnelOptions, url: string, headers: Record<string, string>): Promise<unknown> {
  const u = new URL(url);
  if (u.protocol !== 'http:') return Promise.reject(new Error(`${u.protocol} endpoint not tunnelled: ${u.host}`));
  const port = Number(u.port || 80);
  return new Promise<unknown>((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, v?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(v);
    };
    const req = request(
      {
        host: u.hostname,
        port,
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        headers: { Accept: 'application/json', 'User-Agent': 'switchyard-topology', ...headers },
        createConnection: ((_opts: unknown, cb: (err: Error | null, s?: Socket) => void) => {
          o.forwarder.forwardOut(o.hostId, u.hostname, port).then(
            (s) => cb(null, s as unknown as Socket),
            (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
          );
          return undefined;
        }) as unknown as () => Socket,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish(e));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return finish(new HttpError(status, body));
          try {
            finish(null, body ? (JSON.parse(body) as unknown) : null);
          } catch {
            finish(new Error(`${u.host}${u.pathname}: answer is not JSON (${String(body.length)} bytes)`));
          }
        });
      },
    );
    const onAbort = (): void => {
      req.destroy();
      finish(new Error('aborted'));
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`${u.host}${u.pathname}: no answer within ${String(Math.round(o.timeoutMs / 1000))} s`));
    }, o.timeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => finish(e));
    req.end();
  });
}
