/**
 * Terminal sessions over a real OpenSSH server (started on 127.14.0.20 by support/sshd-lab.ts), through the
 * same host runtime as `switchyard serve`: the host-key question goes out as an event, output comes back as
 * batched `terminal.data` events, and a slow consumer's acknowledgements hold the SSH channel back (ssh2
 * pause/resume) without losing a byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostRuntime, type HostRuntime } from '../../core/node/host/runtime';
import { createCoreServices } from '../../core/node/services';
import { startSshdLab, type SshdLab } from './support/sshd-lab';

const ADDRESS = '127.14.0.20';
let lab: SshdLab;
let home: string;
let rt: HostRuntime;
const ctx = { transport: 'test' as const, clientId: 'it' };

async function call<T>(channel: string, ...args: unknown[]): Promise<T> {
  const r = await rt.dispatch(channel, args, ctx);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

beforeAll(async () => {
  lab = await startSshdLab({ term: ADDRESS });
  home = mkdtempSync(join(tmpdir(), 'sy-term-it-'));
  rt = createHostRuntime({
    mode: 'browser',
    home,
    makeServices: (hostKeyDecider) => createCoreServices({ home, hostKeyDecider }),
    appInfo: {
      version: 'test',
      platform: process.platform,
      inventoryPath: join(home, 'inventory.yaml'),
      dataDir: home,
    },
    highWater: 256 * 1024,
    lowWater: 64 * 1024,
  });
  // Accept the first key after checking it is the one the server really has.
  rt.events.subscribe((event, payload) => {
    if (event !== 'hostkey.prompt') return;
    const p = payload as { promptId: string; fingerprint: string };
    void rt.dispatch(
      'hostKeys.decide',
      [{ promptId: p.promptId, accept: p.fingerprint === lab.sshd.term?.fingerprint }],
      ctx,
    );
  });
  await call('vault.init', { passphrase: 'integration passphrase' });
  const key = await call<{ id: string }>('vault.add', { kind: 'ssh-key', label: 'it key', value: lab.key });
  const text = `version: 1\nhosts:\n  - id: term\n    address: ${ADDRESS}\n    port: 22\n    user: ${lab.user}\n    auth: { method: key, keyRef: ${key.id} }\n`;
  const saved = await call<{ errors: unknown[] }>('inventory.save', { text });
  expect(saved.errors).toEqual([]);
}, 120_000);

afterAll(async () => {
  rt?.dispose();
  await lab?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('SSH terminal through the host runtime', () => {
  it('runs an interactive shell: input in, output out, exit reported', async () => {
    const chunks: string[] = [];
    let exit: unknown = null;
    const stop = rt.events.subscribe((event, payload) => {
      if (event === 'terminal.data') chunks.push((payload as { data: string }).data);
      if (event === 'terminal.exit') exit = payload;
    });
    const info = await call<{ id: string; kind: string }>('terminal.open', {
      kind: 'ssh',
      hostId: 'term',
      cols: 100,
      rows: 30,
    });
    expect(info.kind).toBe('ssh');
    await call('terminal.write', info.id, 'echo "sum=$((40+2))"; stty size; exit 3\n');
    await expect.poll(() => exit, { timeout: 20_000 }).not.toBeNull();
    stop();
    const out = chunks.join('');
    expect(out).toContain('sum=42');
    expect(out).toContain('30 100');
    expect(exit).toMatchObject({ id: info.id, exitCode: 3 });
  });

  it('holds a fast producer back until the consumer acknowledges, and loses nothing', async () => {
    const total = 20 * 1024 * 1024;
    let received = 0;
    let maxInFlight = 0;
    let exited = false;
    let unacked = 0;
    const id = (
      await call<{ id: string }>('terminal.open', {
        kind: 'ssh',
        hostId: 'term',
        cols: 200,
        rows: 50,
        command: `head -c ${total} /dev/zero | tr '\\0' 'x'`,
      })
    ).id;
    const stop = rt.events.subscribe((event, payload) => {
      const p = payload as { id: string; data?: string };
      if (p.id !== id) return;
      if (event === 'terminal.data') {
        received += p.data?.length ?? 0;
        unacked += p.data?.length ?? 0;
      }
      if (event === 'terminal.exit') exited = true;
    });
    // A slow consumer: 256 KiB every 10 ms at most (~25 MB/s).
    const timer = setInterval(() => {
      if (exited) return;
      try {
        maxInFlight = Math.max(maxInFlight, rt.terminals.inFlight(id));
      } catch {
        return; // the session just ended
      }
      const n = Math.min(unacked, 256 * 1024);
      unacked -= n;
      void rt.dispatch('terminal.ack', [id, n], ctx);
    }, 10);
    await expect.poll(() => exited, { timeout: 60_000 }).toBe(true);
    clearInterval(timer);
    stop();
    expect(received).toBe(total);
    // high-water plus one batch (256 KiB) and whatever ssh2 had already buffered when paused.
    expect(maxInFlight).toBeLessThan(256 * 1024 + 256 * 1024 + 2 * 1024 * 1024);
  }, 90_000);
});
