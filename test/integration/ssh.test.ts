/**
 * SshPool against real OpenSSH servers this test starts on 127.13.0.x (test/integration/support/sshd-lab.ts):
 * exec, streaming, exit codes and signals, stdin, timeout, abort, output cap, hostile argv, host-key
 * questions and refusals, jump hosts, every auth method, unreachable hosts, pty shells and the audit log.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorException } from '../../core/common/contract/define';
import type { Host } from '../../core/common/inventory/schema';
import type { HostKeyQuestion } from '../../core/common/ports';
import { AuditLog } from '../../core/node/audit/audit-log';
import { KnownHostsStore } from '../../core/node/ssh/known-hosts';
import { SshPool } from '../../core/node/ssh/pool';
import { Vault } from '../../core/node/vault/vault';
import { startSshdLab, type SshdLab } from './support/sshd-lab';

const TARGET = '127.13.0.10';
const JUMP = '127.13.0.11';
const DEAD = '127.13.0.99';
const SILENT = '127.13.0.12';

let lab: SshdLab;
let dir: string;
let vault: Vault;
let audit: AuditLog;
let silent: Server;
const silentSockets: Socket[] = [];
const questions: HostKeyQuestion[] = [];
let acceptKeys = true;
let agentSocket = '';
let agentPid = 0;

function hosts(): Record<string, Host> {
  const base = { port: 22, user: lab.user, roles: [] };
  return {
    target: { ...base, id: 'target', address: TARGET, auth: { method: 'key', keyRef: 'lab-key' } },
    'target-enc': { ...base, id: 'target-enc', address: TARGET, auth: { method: 'key', keyRef: 'lab-key-enc' } },
    'target-pw': {
      ...base,
      id: 'target-pw',
      address: TARGET,
      auth: { method: 'password', passwordRef: 'lab-password' },
    },
    'target-agent': { ...base, id: 'target-agent', address: TARGET, auth: { method: 'agent', socket: agentSocket } },
    'target-kbd': {
      ...base,
      id: 'target-kbd',
      address: TARGET,
      auth: { method: 'keyboard-interactive', passwordRef: 'lab-password' },
    },
    jump: { ...base, id: 'jump', address: JUMP, auth: { method: 'key', keyRef: 'lab-key' } },
    'via-jump': {
      ...base,
      id: 'via-jump',
      address: TARGET,
      jump: 'jump',
      auth: { method: 'password', passwordRef: 'lab-password' },
    },
    dead: { ...base, id: 'dead', address: DEAD, auth: { method: 'key', keyRef: 'lab-key' } },
    silent: { ...base, id: 'silent', address: SILENT, auth: { method: 'key', keyRef: 'lab-key' } },
    loop1: { ...base, id: 'loop1', address: TARGET, jump: 'loop2', auth: { method: 'key', keyRef: 'lab-key' } },
    loop2: { ...base, id: 'loop2', address: JUMP, jump: 'loop1', auth: { method: 'key', keyRef: 'lab-key' } },
  };
}

function makePool(
  knownHosts: KnownHostsStore,
  extra: { connectTimeoutMs?: number; maxChannels?: number } = {},
): SshPool {
  const table = hosts();
  return new SshPool({
    inventory: { getHost: (id) => table[id] },
    knownHosts,
    hostKeyDecider: async (q) => {
      questions.push(q);
      return acceptKeys;
    },
    secrets: vault,
    audit,
    connectTimeoutMs: extra.connectTimeoutMs ?? 5000,
    maxChannels: extra.maxChannels ?? 6,
  });
}

async function errorOf(p: Promise<unknown>): Promise<ApiErrorException> {
  try {
    await p;
  } catch (err) {
    return err as ApiErrorException;
  }
  throw new Error('expected an error');
}

let pool: SshPool;
let store: KnownHostsStore;

beforeAll(async () => {
  lab = await startSshdLab({ target: TARGET, jump: JUMP });
  dir = mkdtempSync(join(tmpdir(), 'sy-ssh-it-'));
  vault = new Vault({ path: join(dir, 'vault.json') });
  await vault.init({ passphrase: 'integration passphrase' });
  await vault.add({ kind: 'ssh-key', label: 'lab-key', value: lab.key });
  await vault.add({ kind: 'ssh-key', label: 'lab-key-enc', value: lab.encryptedKey, keyPassphrase: lab.keyPassphrase });
  await vault.add({ kind: 'password', label: 'lab-password', value: lab.password });
  audit = new AuditLog({ path: join(dir, 'audit.jsonl'), secretValues: () => vault.secretValues() });
  // Accepts TCP and never says a word: an SSH server that hangs.
  silent = createServer((s) => silentSockets.push(s));
  await new Promise<void>((r) => silent.listen(22, SILENT, r));
  // A real ssh-agent holding the lab key (for auth: agent).
  agentSocket = join(dir, 'agent.sock');
  const out = execFileSync('ssh-agent', ['-s', '-a', agentSocket], { encoding: 'utf8' });
  agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1] ?? 0);
  writeFileSync(join(dir, 'agent_key'), lab.key, { mode: 0o600 });
  execFileSync('ssh-add', ['-q', join(dir, 'agent_key')], {
    env: { ...process.env, SSH_AUTH_SOCK: agentSocket },
    stdio: 'ignore',
  });
  rmSync(join(dir, 'agent_key'));
  store = new KnownHostsStore(join(dir, 'known_hosts.json'));
  pool = makePool(store);
});

afterAll(async () => {
  if (agentPid > 0) process.kill(agentPid, 'SIGTERM');
  pool.close();
  for (const s of silentSockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
  await audit.close();
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('host keys', () => {
  it('asks about an unknown key with the ssh-keygen fingerprint; a rejection fails and stores nothing', async () => {
    acceptKeys = false;
    questions.length = 0;
    const err = await errorOf(pool.run('target', ['true']));
    expect(err.code).toBe('host-key-rejected');
    expect(questions).toEqual([
      { hostId: 'target', host: TARGET, port: 22, keyType: 'ssh-ed25519', fingerprint: lab.sshd.target?.fingerprint },
    ]);
    expect(await store.list()).toEqual([]);
    acceptKeys = true;
    const r = await pool.run('target', ['true']);
    expect(r.exitCode).toBe(0);
    expect((await store.list()).map((e) => e.fingerprint)).toEqual([lab.sshd.target?.fingerprint]);
    // Known now: no second question.
    await pool.run('target-pw', ['true']);
    expect(questions).toHaveLength(2);
  });

  it('refuses a changed key loudly and never starts authentication', async () => {
    const other = new KnownHostsStore(join(dir, 'kh-changed.json'));
    const jumpKey = Buffer.from(lab.sshd.jump?.hostKeyPub.split(' ')[1] ?? '', 'base64');
    await other.add(TARGET, 22, jumpKey);
    const p2 = makePool(other);
    const before = lab.readLog('target').length;
    questions.length = 0;
    const err = await errorOf(p2.run('target-pw', ['true']));
    p2.close();
    expect(err.code).toBe('host-key-changed');
    expect(err.message).toContain(lab.sshd.jump?.fingerprint);
    expect(err.message).toContain(lab.sshd.target?.fingerprint);
    expect(err.message).toContain('target-pw');
    expect(questions).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    const log = lab.readLog('target').slice(before);
    expect(log).toMatch(/Connection from/);
    expect(log).not.toMatch(/userauth-request|Accepted|Failed password/);
  });
});

describe('exec', () => {
  it('streams stdout and stderr and returns the exit code', async () => {
    const chunks: { t: number; s: string }[] = [];
    const t0 = Date.now();
    const r = await pool.run('target', ['sh', '-c', 'echo first; echo oops >&2; sleep 0.4; echo second; exit 3'], {
      onStdout: (s) => chunks.push({ t: Date.now() - t0, s }),
    });
    expect(r).toMatchObject({
      exitCode: 3,
      signal: null,
      stdout: 'first\nsecond\n',
      stderr: 'oops\n',
      timedOut: false,
      truncated: false,
    });
    expect(chunks[0]?.s).toBe('first\n');
    // The first line arrived while the command was still sleeping.
    expect(r.durationMs - (chunks[0]?.t ?? 0)).toBeGreaterThan(250);
  });

  it('reports a signal', async () => {
    const r = await pool.run('target', ['sh', '-c', 'kill -TERM $$']);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
  });

  it('feeds stdin then EOF', async () => {
    const r = await pool.run('target', ['sh', '-c', 'cat; echo; wc -c </dev/null'], { stdin: 'line one\nzwei ☃' });
    expect(r.stdout).toBe('line one\nzwei ☃\n0\n');
    expect((await pool.run('target', ['cat'])).stdout).toBe('');
  });

  it('times out and kills the channel', async () => {
    const t0 = Date.now();
    const r = await pool.run('target', ['sleep', '31.5'], { timeoutMs: 600 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(Date.now() - t0).toBeLessThan(3000);
    // The remote process is gone too (KILL signal request), not just our side of the channel.
    await new Promise((res) => setTimeout(res, 200));
    expect((await pool.run('target', ['pgrep', '-f', 'sleep 31.5'])).exitCode).toBe(1);
  });

  it('aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const err = await errorOf(pool.run('target', ['sleep', '32.5'], { signal: ac.signal }));
    expect(err.code).toBe('aborted');
    expect(Date.now() - t0).toBeLessThan(3000);
    await new Promise((res) => setTimeout(res, 200));
    expect((await pool.run('target', ['pgrep', '-f', 'sleep 32.5'])).exitCode).toBe(1);
  });

  it('caps output', async () => {
    const r = await pool.run('target', ['head', '-c', '3000000', '/dev/zero'], { maxOutputBytes: 1024 * 1024 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(1024 * 1024);
    expect(r.truncated).toBe(true);
  });

  it('delivers hostile argv elements byte for byte', async () => {
    const marker = join(dir, 'pwned');
    const hostile = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      'a;touch x',
      'a|b',
      'a && b',
      'line1\nline2',
      '"double"',
      "it's",
      "'",
      '-rf',
      '--help',
      '',
      'ünïcødé ☃ 日本',
      '  spaces  ',
      '*',
      '$HOME',
      '\\',
      '${PATH}',
      '>out',
      '#comment',
      '\t',
    ];
    const r = await pool.run('target', ['printf', '%s\\0', ...hostile]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(hostile);
    expect(existsSync(marker)).toBe(false);
    const noNul = await errorOf(pool.run('target', ['echo', 'a\0b']));
    expect(noNul.code).toBe('invalid-argument');
  });

  it('runs many commands in parallel over one connection', async () => {
    const before = (lab.readLog('target').match(/Connection from/g) ?? []).length;
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.run('target', ['echo', String(i)])));
    expect(rs.map((r) => r.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
    const after = (lab.readLog('target').match(/Connection from/g) ?? []).length;
    expect(after - before).toBe(0);
  });

  it('survives a dropped connection: the running command ends promptly, the next one reconnects', async () => {
    await pool.run('target', ['true']);
    const t0 = Date.now();
    // $PPID of the command is the per-connection sshd process: killing it drops the whole connection.
    const dropped = await pool.run('target', ['sh', '-c', 'kill $PPID; sleep 20'], { timeoutMs: 15_000 }).then(
      (r) => ({ code: 'result', exitCode: r.exitCode, timedOut: r.timedOut }),
      (e: ApiErrorException) => ({ code: e.code, exitCode: null, timedOut: false }),
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(dropped.timedOut).toBe(false);
    expect(dropped.exitCode).not.toBe(0);
    const again = await pool.run('target', ['echo', 'back']);
    expect(again.stdout).toBe('back\n');
  });

  it('retries channels refused by MaxSessions instead of failing', async () => {
    // 20 in flight on one connection is past OpenSSH's MaxSessions 10: opens fail and are retried.
    const wide = makePool(store, { maxChannels: 20 });
    const rs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => wide.run('target', ['sh', '-c', `sleep 0.2; echo ${i}`])),
    );
    wide.close();
    expect(rs.filter((r) => r.exitCode === 0)).toHaveLength(40);
  });

  it('rejects an unknown host id', async () => {
    expect((await errorOf(pool.run('nope', ['true']))).code).toBe('not-found');
  });
});

describe('auth and routes', () => {
  it('authenticates with password, keyboard-interactive, an encrypted key and the agent', async () => {
    for (const id of ['target-pw', 'target-kbd', 'target-enc', 'target-agent'])
      expect(await pool.run(id, ['id', '-un'])).toMatchObject({ exitCode: 0, stdout: `${lab.user}\n` });
    const log = lab.readLog('target');
    expect(log).toMatch(/Accepted password for swyit/);
    expect(log).toMatch(/Accepted keyboard-interactive\/pam for swyit/);
    expect(log).toMatch(/Accepted publickey for swyit/);
  });

  it('goes through a jump host', async () => {
    const r = await pool.run('via-jump', ['sh', '-c', 'echo "$SSH_CONNECTION"']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`${TARGET} 22`);
    expect(lab.readLog('jump')).toMatch(new RegExp(`direct-tcpip|direct_tcpip[^\\n]*${TARGET.replaceAll('.', '\\.')}`));
    expect(lab.readLog('jump')).toContain(TARGET);
    expect((await errorOf(pool.run('loop1', ['true']))).message).toMatch(/cycle/);
  });

  it('fails fast and clearly on unreachable hosts', async () => {
    const p = makePool(store, { connectTimeoutMs: 1500 });
    let t0 = Date.now();
    const refused = await errorOf(p.run('dead', ['true'], { timeoutMs: 5000 }));
    expect(refused.code).toBe('unreachable');
    expect(refused.message).toContain('ECONNREFUSED');
    expect(Date.now() - t0).toBeLessThan(1500);
    t0 = Date.now();
    const hung = await errorOf(p.run('silent', ['true'], { timeoutMs: 5000 }));
    expect(hung.code).toBe('timeout');
    expect(hung.message).toContain('silent');
    expect(Date.now() - t0).toBeLessThan(2500);
    p.close();
  });
});

describe('shell', () => {
  it('opens a pty shell that can be resized', async () => {
    const ch = await pool.shell('target', { cols: 80, rows: 24 });
    let out = '';
    ch.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const waitFor = async (re: RegExp) => {
      const until = Date.now() + 5000;
      while (!re.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return re.test(out);
    };
    ch.write('echo hi-$((40+2))\n');
    expect(await waitFor(/hi-42/)).toBe(true);
    ch.setWindow(33, 101, 0, 0);
    ch.write('stty size\n');
    expect(await waitFor(/33 101/)).toBe(true);
    const closed = new Promise<void>((r) => ch.on('close', () => r()));
    ch.write('exit\n');
    await closed;
  });
});

describe('shell command and tunnels', () => {
  it('runs a command line in a pty and reports its exit code', async () => {
    const ch = await pool.shell('target', { cols: 80, rows: 24, command: 'tty; echo $((6*7)); exit 3' });
    let out = '';
    ch.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const code = await new Promise<number | null>((r) => ch.on('close', (c: number | null) => r(c)));
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    expect(out).toContain('42');
    expect(code).toBe(3);
  });

  it('opens a TCP stream through a host (forwardOut)', async () => {
    const s = await pool.forwardOut('jump', TARGET, 22);
    const banner = await new Promise<string>((r) => s.once('data', (b: Buffer) => r(b.toString('latin1'))));
    s.destroy();
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH_/);
  });
});

describe('audit', () => {
  it('records every command with secrets redacted', async () => {
    const cephx = Buffer.concat([Buffer.from([1, 0]), randomBytes(26)]).toString('base64');
    await pool.run(
      'target',
      ['sh', '-c', `echo key = ${cephx}; echo extra-secret-123; echo "$1" >&2`, 'sh', lab.password],
      { redact: ['extra-secret-123'], origin: 'it' },
    );
    await audit.close();
    const text = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { hostId: string; origin: string; error?: string; timedOut: boolean; argv: string[] },
      );
    expect(text).not.toContain(cephx);
    expect(text).not.toContain('extra-secret-123');
    expect(text).not.toContain(lab.password);
    expect(text).not.toContain(lab.keyPassphrase);
    const last = entries.at(-1);
    expect(last).toMatchObject({ hostId: 'target', origin: 'it', exitCode: 0 });
    expect(entries.some((e) => e.error?.startsWith('host-key-rejected'))).toBe(true);
    expect(entries.some((e) => e.timedOut)).toBe(true);
    expect(entries.some((e) => e.argv[0] === '(interactive shell)')).toBe(true);
    const listed = await audit.list({ hostId: 'target', failedOnly: true });
    expect(listed.length).toBeGreaterThan(0);
  });
});
