/**
 * `switchyard vault` and `switchyard exec` as an operator runs them: a real CLI process, a real data directory,
 * real sshd on 127.13.0.20 (test/integration/support/sshd-lab.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdLab, type SshdLab } from './support/sshd-lab';

const ADDR = '127.13.0.20';
const BIN = join(__dirname, '..', '..', 'bin', 'switchyard.mjs');
const PASS = 'cli vault passphrase';
let lab: SshdLab;
let home: string;

function cli(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SWITCHYARD_HOME: home, SWITCHYARD_VAULT_PASSPHRASE: PASS, ...env },
    ...(input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input }),
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn.*\n/gm, '') };
}

beforeAll(async () => {
  lab = await startSshdLab({ cli: ADDR });
  home = mkdtempSync(join(tmpdir(), 'sy-cli-home-'));
  writeFileSync(join(home, 'key'), lab.key, { mode: 0o600 });
  writeFileSync(
    join(home, 'inventory.yaml'),
    [
      'version: 1',
      'sites: [{ name: lab, role: primary }]',
      'hosts:',
      `  - { id: box, site: lab, address: ${ADDR}, user: ${lab.user}, auth: { method: key, keyRef: box-key } }`,
      `  - { id: box-pw, site: lab, address: ${ADDR}, user: ${lab.user}, auth: { method: password, passwordRef: box-pw } }`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await lab.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('switchyard vault + exec', () => {
  it('creates a vault and adds secrets without ever taking them as argv', () => {
    expect(cli(['vault', 'init']).code).toBe(0);
    expect(statSync(join(home, 'vault.json')).mode & 0o777).toBe(0o600);
    const added = cli(['vault', 'add', '--kind', 'ssh-key', '--label', 'box-key', '--file', join(home, 'key')]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/SHA256:/);
    expect(
      cli(['vault', 'add', '--kind', 'password', '--label', 'box-pw', '--value-stdin'], {}, `${lab.password}\n`).code,
    ).toBe(0);
    const list = cli(['vault', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((m: { label: string }) => m.label)).toEqual(['box-key', 'box-pw']);
    expect(list.stdout).not.toContain(lab.password);
    const wrong = cli(['vault', 'list'], { SWITCHYARD_VAULT_PASSPHRASE: 'wrong passphrase' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/vault-bad-passphrase/);
    expect(cli(['vault', 'add', '--kind', 'password', '--label', 'x']).stderr).toMatch(/never as an argument/);
  });

  it('refuses an unknown host key without a terminal and names the fingerprint', () => {
    const r = cli(['exec', '--host', 'box', '--', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain(lab.sshd.cli?.fingerprint);
    expect(r.stderr).toMatch(/host-key-rejected/);
  });

  it('runs argv, streams output and exits with the remote exit code', () => {
    const fp = lab.sshd.cli?.fingerprint ?? '';
    const r = cli([
      'exec',
      '--host',
      'box',
      '--accept-host-key',
      fp,
      '--',
      'sh',
      '-c',
      'echo "out $1"; echo err >&2; exit 7',
      'sh',
      'a b;c',
    ]);
    expect(r).toMatchObject({ code: 7, stdout: 'out a b;c\n' });
    expect(r.stderr).toContain('err');
    expect(cli(['exec', '--host', 'box-pw', '--', 'id', '-un'])).toMatchObject({ code: 0, stdout: `${lab.user}\n` });
    expect(cli(['exec', '--host', 'box', '--timeout', '0.5', '--', 'sleep', '20']).code).toBe(124);
    expect(cli(['exec', '--host', 'nope', '--', 'true']).stderr).toMatch(/not-found/);
    const audit = readFileSync(join(home, 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"origin":"cli"');
    expect(audit).not.toContain(lab.password);
  });

  it('names file, line and field for a broken inventory', () => {
    const bad = join(home, 'bad.yaml');
    writeFileSync(
      bad,
      'version: 1\nhosts:\n  - id: box\n    address: 1.2.3.4\n    user: u\n    port: seventy\n    auth: { method: agent }\n',
    );
    const r = cli(['exec', '--host', 'box', '--inventory', bad, '--', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain(`${bad}:6 (hosts[0].port)`);
  });
});
