/**
 * Pool mechanics against an in-process ssh2 server (fast, no sshd needed): the per-connection channel cap,
 * FIFO order of queued commands, connection reuse, the host-key question. Real-OpenSSH behaviour is covered
 * by test/integration/ssh.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../common/inventory/schema';
import { KnownHostsStore } from './known-hosts';
import { SshPool } from './pool';

const { Server, utils } = ssh2;
const dir = mkdtempSync(join(tmpdir(), 'sy-pool-'));
const hostKey = utils.generateKeyPairSync('ed25519');
const userKey = utils.generateKeyPairSync('ed25519');

let server: InstanceType<typeof Server>;
let port = 0;
let connections = 0;
let active = 0;
let maxActive = 0;
const started: string[] = [];
const serverErrors: string[] = [];

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    connections++;
    // A client that rejects our host key drops the connection during key exchange: expected, kept as evidence.
    client.on('error', (e: Error) => serverErrors.push(e.message));
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          if (info.command.includes('drop-connection')) {
            // The server side dies mid-command (sshd killed): no exit status ever arrives.
            stream.write('partial output\n');
            setTimeout(() => client.end(), 25);
            return;
          }
          active++;
          maxActive = Math.max(maxActive, active);
          started.push(info.command);
          setTimeout(() => {
            active--;
            stream.write(`ran ${info.command}\n`);
            stream.exit(0);
            stream.end();
          }, 25);
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function pool(decide: boolean, extra: { connectTimeoutMs?: number; decideAfterMs?: number } = {}) {
  const host: Host = {
    id: 'h',
    address: '127.0.0.1',
    port,
    user: 'u',
    auth: { method: 'key', keyRef: 'k' },
    roles: [],
  };
  const asked: string[] = [];
  const p = new SshPool({
    inventory: { getHost: (id) => (id === 'h' ? host : undefined) },
    knownHosts: new KnownHostsStore(join(dir, `kh-${String(decide)}-${String(extra.decideAfterMs ?? 0)}.json`)),
    hostKeyDecider: async (q) => {
      asked.push(q.fingerprint);
      if (extra.decideAfterMs) await new Promise((r) => setTimeout(r, extra.decideAfterMs));
      return decide;
    },
    ...(extra.connectTimeoutMs ? { connectTimeoutMs: extra.connectTimeoutMs } : {}),
    secrets: { getSecret: () => ({ value: userKey.private }) },
  });
  return { p, asked };
}

describe('SshPool mechanics', () => {
  it('keeps at most 6 channels in flight, starts queued commands in FIFO order, reuses one connection', async () => {
    const { p, asked } = pool(true);
    const before = connections;
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => p.run('h', ['job', String(i)])));
    p.close();
    expect(rs.every((r) => r.exitCode === 0)).toBe(true);
    expect(rs[7]?.stdout).toBe("ran 'job' '7'\n");
    expect(maxActive).toBe(6);
    expect(started.slice(-30)).toEqual(Array.from({ length: 30 }, (_, i) => `'job' '${i}'`));
    expect(connections - before).toBe(1);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('gives the operator longer than the connect timeout to answer a host-key question', async () => {
    // The handshake itself must fit the connect timeout on a loaded machine (300 ms failed once at load 25).
    const { p, asked } = pool(true, { connectTimeoutMs: 1500, decideAfterMs: 2500 });
    expect((await p.run('h', ['true'])).exitCode).toBe(0);
    expect(asked).toHaveLength(1);
    p.close();
  });

  it('backs off after a failed connect instead of hammering a dead host', async () => {
    const dead: Host = {
      id: 'dead',
      address: '127.0.0.1',
      port: 1,
      user: 'u',
      auth: { method: 'key', keyRef: 'k' },
      roles: [],
    };
    const p = new SshPool({
      inventory: { getHost: () => dead },
      knownHosts: new KnownHostsStore(join(dir, 'kh-dead.json')),
      hostKeyDecider: async () => true,
      secrets: { getSecret: () => ({ value: userKey.private }) },
    });
    await expect(p.run('dead', ['true'])).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    // Within the 500 ms backoff and with less time than that: fail at once, saying when the next try is.
    await expect(p.run('dead', ['true'], { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('next attempt in'),
    });
    // With enough time the run waits out the backoff and tries again.
    const t0 = Date.now();
    await expect(p.run('dead', ['true'], { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'unreachable' });
    expect(Date.now() - t0).toBeGreaterThan(200);
    p.close();
  });

  it('a connection that dies mid-command is a connection error, not "exit none"; the next run reconnects', async () => {
    const { p } = pool(true);
    expect((await p.run('h', ['true'])).exitCode).toBe(0);
    const before = connections;
    await expect(p.run('h', ['drop-connection'])).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('lost while the command ran'),
    });
    const again = await p.run('h', ['job', 'after']);
    expect(again.exitCode).toBe(0);
    expect(connections - before).toBe(1);
    p.close();
  });

  it('does not connect past a rejected host key', async () => {
    const { p } = pool(false);
    await expect(p.run('h', ['true'])).rejects.toMatchObject({ code: 'host-key-rejected' });
    p.close();
  });
});
