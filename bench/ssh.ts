/**
 * `npm run bench ssh`: SshPool against a real OpenSSH sshd this bench starts on 127.13.0.30
 * (test/integration/support/sshd-lab.ts). Prints figures; asserts nothing.
 *  - 100 sequential `true` execs on one pooled connection (target <= 0.5 s)
 *  - 100 parallel execs (6 channels in flight per connection, FIFO queue)
 *  - a new connection per exec, for comparison
 *  - 10 MiB of stdout through one exec
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from '../core/common/inventory/schema';
import { AuditLog } from '../core/node/audit/audit-log';
import { KnownHostsStore } from '../core/node/ssh/known-hosts';
import { SshPool } from '../core/node/ssh/pool';
import { startSshdLab } from '../test/integration/support/sshd-lab';
import ssh2 from 'ssh2';

const ADDR = '127.13.0.30';

export async function run(): Promise<void> {
  const lab = await startSshdLab({ bench: ADDR });
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-ssh-'));
  const host: Host = {
    id: 'bench',
    address: ADDR,
    port: 22,
    user: lab.user,
    auth: { method: 'key', keyRef: 'k' },
    roles: [],
  };
  const audit = new AuditLog({ path: join(dir, 'audit.jsonl') });
  const knownHosts = new KnownHostsStore(join(dir, 'known_hosts.json'));
  const makePool = (withAudit = true) =>
    new SshPool({
      inventory: { getHost: (id) => (id === 'bench' ? host : undefined) },
      knownHosts,
      hostKeyDecider: async () => true,
      secrets: { getSecret: () => ({ value: lab.key }) },
      ...(withAudit ? { audit } : {}),
    });
  const pool = makePool();
  try {
    let t = performance.now();
    await pool.run('bench', ['true']);
    console.log(`first exec (connect + key exchange + auth + exec): ${(performance.now() - t).toFixed(1)} ms`);

    t = performance.now();
    for (let i = 0; i < 100; i++) await pool.run('bench', ['true']);
    const seq = performance.now() - t;
    console.log(
      `100 sequential execs, one connection: ${seq.toFixed(0)} ms (${(seq / 100).toFixed(2)} ms each; target <= 500 ms total)`,
    );

    const quiet = makePool(false);
    await quiet.run('bench', ['true']);
    t = performance.now();
    for (let i = 0; i < 100; i++) await quiet.run('bench', ['true']);
    console.log(`  same without the audit log: ${(performance.now() - t).toFixed(0)} ms`);
    quiet.close();

    t = performance.now();
    const rs = await Promise.all(Array.from({ length: 100 }, () => pool.run('bench', ['true'])));
    const par = performance.now() - t;
    console.log(
      `100 parallel execs, one connection (6 in flight): ${par.toFixed(0)} ms; failures: ${rs.filter((r) => r.exitCode !== 0).length}`,
    );

    t = performance.now();
    for (let i = 0; i < 20; i++) {
      const p = makePool();
      await p.run('bench', ['true']);
      p.close();
    }
    const fresh = performance.now() - t;
    console.log(
      `new connection per exec: ${(fresh / 20).toFixed(1)} ms each (20 runs) -> 100 would take ~${((fresh / 20) * 100).toFixed(0)} ms`,
    );

    const floor = await rawSequential(lab.key, lab.user);
    console.log(
      `floor: raw ssh2 client (setNoDelay), 100 sequential execs, no pool/audit/quoting: ${floor.toFixed(0)} ms`,
    );

    t = performance.now();
    const big = await pool.run('bench', ['head', '-c', String(10 * 1024 * 1024), '/dev/zero']);
    const bigMs = performance.now() - t;
    console.log(
      `10 MiB stdout through one exec: ${bigMs.toFixed(0)} ms (${(10 / (bigMs / 1000)).toFixed(0)} MiB/s), kept ${big.stdout.length} bytes`,
    );
  } finally {
    pool.close();
    await audit.close();
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same 100 sequential execs straight on ssh2, to separate our overhead from sshd's fork+exec per command. */
async function rawSequential(key: string, user: string): Promise<number> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.on('ready', () => resolve()).on('error', reject);
    client.connect({ host: ADDR, port: 22, username: user, privateKey: key, hostVerifier: () => true });
  });
  client.setNoDelay(true);
  const t = performance.now();
  for (let i = 0; i < 100; i++) {
    await new Promise<void>((resolve, reject) => {
      client.exec("'true'", (err, ch) => {
        if (err) return reject(err);
        ch.on('close', () => resolve());
        ch.resume();
        ch.end();
      });
    });
  }
  const took = performance.now() - t;
  client.end();
  return took;
}
