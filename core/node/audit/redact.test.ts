import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from './audit-log';
import { redactArgv, redactedTail, redactText } from '../../common/redact';

const cephx = Buffer.concat([Buffer.from([1, 0]), randomBytes(26)]).toString('base64');
const token = Buffer.from(
  JSON.stringify({ fsid: 'f00', client_id: 'rbd-mirror-peer', key: cephx, mon_host: '[v2:127.10.0.11:3300]' }),
).toString('base64');

describe('redactText', () => {
  it('removes known secret shapes and keeps the rest', () => {
    const text = [
      `[client.admin]\n\tkey = ${cephx}`,
      `token: ${token}`,
      'export OS_PASSWORD=hunter2hunter OS_USERNAME=admin',
      'openstack --os-password s3cr3t! server list',
      'cmd --password=abc123 --name x',
      '  password: "cloudpass"',
    ].join('\n');
    const out = redactText(text);
    for (const s of [cephx, token, 'hunter2hunter', 's3cr3t!', 'abc123', 'cloudpass']) expect(out).not.toContain(s);
    for (const s of ['[client.admin]', 'OS_USERNAME=admin', 'server list', '--name x']) expect(out).toContain(s);
  });
  it('removes given values, including single lines of multi-line keys', () => {
    // A private key generated now (no key material in the repo); its second line leaks alone.
    const keyDir = mkdtempSync(join(tmpdir(), 'sy-redact-'));
    const base = join(keyDir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', base]);
    const key = readFileSync(base, 'utf8');
    const line = key.split('\n')[1] ?? '';
    expect(line.length).toBeGreaterThan(16);
    const out = redactText(`leak ${line} and vaultpw`, [key, 'vaultpw', 'ab']);
    expect(out).toBe('leak *** and ***');
    rmSync(keyDir, { recursive: true, force: true });
  });
  it('redacts the argument after a bare secret flag', () => {
    expect(redactArgv(['rbd', '--key', 'plainsecret', 'ls'])).toEqual(['rbd', '--key', '***', 'ls']);
  });
  it('does not leak half a secret at the tail boundary', () => {
    const secret = 'X'.repeat(10) + 'topsecretvalue';
    const text = 'a'.repeat(5000) + secret + 'b'.repeat(2040);
    expect(redactedTail(text, 2048, [secret])).not.toContain('topsecret');
  });
});

describe('AuditLog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('appends redacted JSONL, lists with filters, survives reopen', async () => {
    const path = join(dir, 'audit.jsonl');
    const log = new AuditLog({ path, secretValues: () => ['vault-secret-1'] });
    const seen: number[] = [];
    log.onAppended((e) => seen.push(e.id));
    const base = {
      origin: 'test',
      startedAt: new Date().toISOString(),
      durationMs: 3,
      signal: null,
      timedOut: false,
      stderr: '',
    };
    await log.append({
      ...base,
      hostId: 'mon-a',
      argv: ['ceph', 'auth', 'get-key', 'client.admin'],
      exitCode: 0,
      stdout: `${cephx}\n`,
    });
    await log.append({
      ...base,
      hostId: 'ctl',
      argv: ['echo', 'vault-secret-1'],
      exitCode: 1,
      stdout: 'per-call-secret',
      redact: ['per-call-secret'],
    });
    expect(seen).toEqual([1, 2]);
    const file = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const s of [cephx, 'vault-secret-1', 'per-call-secret']) expect(file).not.toContain(s);
    expect(file.trim().split('\n')).toHaveLength(2);
    expect((await log.list({ failedOnly: true })).map((e) => e.hostId)).toEqual(['ctl']);
    expect((await log.list({ text: 'GET-KEY' })).map((e) => e.id)).toEqual([1]);
    await log.close();
    const again = new AuditLog({ path });
    const e3 = await again.append({ ...base, hostId: 'mon-a', argv: ['true'], exitCode: 0, stdout: '' });
    expect(e3.id).toBe(3);
    expect((await again.list({ hostId: 'mon-a' })).map((e) => e.id)).toEqual([3, 1]);
    await again.close();
  });
});
