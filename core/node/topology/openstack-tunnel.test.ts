import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandRunner, ExecOptions, ExecResult } from '../../common/ports';
import { TWO_SITE_INVENTORY } from '../../common/topology/fixtures.test-support';
import { discoverOpenstack } from './discover-openstack';
import { OpenstackTunnel, type TcpForwarder } from './openstack-tunnel';

const role = { kind: 'openstack-controller' as const, cloud: 'lab' };
const IMG = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** A tiny Glance/Cinder/Nova on one port: paged lists, an admin-only store detail, a token check. */
let server: Server;
let port = 0;
let valid = 'tok-1';
const seen: string[] = [];
function api(req: IncomingMessage, res: ServerResponse): void {
  const u = new URL(req.url ?? '/', 'http://x');
  seen.push(`${u.pathname}${u.search}`);
  const send = (code: number, body: unknown): void => {
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  if (req.headers['x-auth-token'] !== valid) return send(401, { error: 'unauthorized' });
  if (u.pathname === '/v2/images' && !u.searchParams.has('marker'))
    return send(200, { images: [{ id: IMG(1), stores: 'central' }], next: `/v2/images?marker=${IMG(1)}` });
  if (u.pathname === '/v2/images') return send(200, { images: [{ id: IMG(2), stores: 'central,dcn0' }] });
  if (u.pathname === '/v2/info/stores/detail') return send(403, { error: 'admin only' });
  if (u.pathname === '/v2/info/stores') return send(200, { stores: [{ id: 'central', default: true }] });
  if (u.pathname === '/v3/p/volumes/detail' && !u.searchParams.has('marker'))
    return send(200, {
      volumes: [{ id: IMG(3), status: 'available' }],
      volumes_links: [{ rel: 'next', href: `http://127.0.0.1:${String(port)}/v3/p/volumes/detail?marker=x` }],
    });
  if (u.pathname === '/v3/p/volumes/detail') return send(200, { volumes: [{ id: IMG(4), status: 'in-use' }] });
  if (u.pathname === '/v2.1/servers/detail') return send(200, { servers: [{ id: IMG(5), status: 'ACTIVE' }] });
  return send(404, { error: u.pathname });
}

class TokenRunner implements CommandRunner {
  calls: { argv: string[]; options?: ExecOptions }[] = [];
  async run(hostId: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ argv, ...(options ? { options } : {}) });
    const base = `http://127.0.0.1:${String(port)}`;
    const ep = (url: string) => [{ interface: 'public', region_id: 'RegionOne', url }];
    const stdout = JSON.stringify({
      source: 'token',
      token: valid,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      interface: 'public',
      region: null,
      errors: {},
      catalog: [
        { type: 'image', endpoints: ep(base) },
        { type: 'volumev3', endpoints: ep(`${base}/v3/p`) },
        { type: 'compute', endpoints: ep(`${base}/v2.1`) },
      ],
    });
    return {
      hostId,
      argv,
      exitCode: 0,
      signal: null,
      stdout,
      stderr: '',
      durationMs: 1,
      timedOut: false,
      truncated: false,
    };
  }
}

/** Real TCP to the destination, as the controller's sshd would open it for direct-tcpip. */
const tcp: TcpForwarder & { opened: string[] } = {
  opened: [],
  forwardOut(_h, host, p) {
    this.opened.push(`${host}:${String(p)}`);
    return new Promise<Duplex>((resolve, reject) => {
      const s = connect(p, host, () => resolve(s));
      s.once('error', reject);
    });
  },
};

beforeAll(async () => {
  server = createServer(api);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('OpenStack REST through a forwarded channel', () => {
  it('lists every page of every service through the forwarder, and keeps the token out of the audit', async () => {
    const runner = new TokenRunner();
    const t = new OpenstackTunnel();
    const o = { runner, forwarder: tcp, hostId: 'ctl', role, timeoutMs: 10_000, now: Date.now };
    const r = await t.inventory(o);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.inventory.source).toBe('tunnel');
    expect(r.inventory.images.map((i) => i.id)).toEqual([IMG(1), IMG(2)]);
    expect(r.inventory.images[1]?.stores).toEqual(['central', 'dcn0']);
    expect(r.inventory.stores.map((s) => s.id)).toEqual(['central']);
    expect(r.inventory.volumes.map((v) => v.id)).toEqual([IMG(3), IMG(4)]);
    expect(r.inventory.servers.map((v) => v.id)).toEqual([IMG(5)]);
    expect(r.inventory.errors).toEqual({});
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]?.options?.secretStdout).toBe(true);
    expect(runner.calls[0]?.argv.join(' ')).not.toContain(valid);
    expect(tcp.opened.every((x) => x === `127.0.0.1:${String(port)}`)).toBe(true);
    // The token is reused: a second discovery runs no process on the controller.
    const again = await t.inventory(o);
    expect(again.ok && again.tokenExec).toBe(false);
    expect(runner.calls).toHaveLength(1);
    // Keystone revoked it: one new token, one more try.
    valid = 'tok-2';
    const third = await t.inventory(o);
    expect(third.ok && third.tokenExec).toBe(true);
    expect(runner.calls).toHaveLength(2);
  });

  it('auto falls back to the REST exec when the channel cannot be opened, and says why', async () => {
    const runner = new TokenRunner();
    const refused: TcpForwarder = {
      forwardOut: () => Promise.reject(new Error('administratively prohibited: open failed')),
    };
    const rest: CommandRunner = {
      run: async (hostId, argv, options) => {
        if (argv.includes('token')) return runner.run(hostId, argv, options);
        const stdout = JSON.stringify({ source: 'rest', images: [{ id: IMG(9) }], errors: {}, timingsMs: {} });
        return {
          hostId,
          argv,
          exitCode: 0,
          signal: null,
          stdout,
          stderr: '',
          durationMs: 1,
          timedOut: false,
          truncated: false,
        };
      },
    };
    const obs = await discoverOpenstack({
      runner: rest,
      inventory: TWO_SITE_INVENTORY,
      method: 'auto',
      execTimeoutMs: 10_000,
      now: Date.now,
      forwarder: refused,
    });
    expect(obs?.reachable).toBe(true);
    expect(obs?.inventory?.source).toBe('rest');
    expect(obs?.inventory?.images.map((i) => i.id)).toEqual([IMG(9)]);
    expect(obs?.problems[0]?.message).toMatch(/forwarded channel failed .*administratively prohibited.*exec path/);
  });
});
