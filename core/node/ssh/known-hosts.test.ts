import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiErrorException } from '../../common/contract/define';
import { KnownHostsStore, parseKnownHostsText } from './known-hosts';

const dir = mkdtempSync(join(tmpdir(), 'sy-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hostKey(name: string, type: 'ed25519' | 'rsa' | 'ecdsa'): { line: string; blob: Buffer; fp: string } {
  const base = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', base]);
  const line = readFileSync(`${base}.pub`, 'utf8').trim();
  const fp = execFileSync('ssh-keygen', ['-lf', `${base}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  return { line, blob: Buffer.from(line.split(' ')[1] ?? '', 'base64'), fp };
}

describe('known_hosts parsing', () => {
  const a = hostKey('a', 'ed25519');
  const b = hostKey('b', 'rsa');
  const c = hostKey('c', 'ecdsa');
  const keyPart = (k: { line: string }) => k.line.split(' ').slice(0, 2).join(' ');

  it('reads plain, [host]:port, multi-name, and skips markers and wildcards', () => {
    const text = [
      '# comment',
      `mon-a.example,10.0.0.1 ${keyPart(a)}`,
      `[127.13.0.5]:2222 ${keyPart(b)} root@x`,
      `@cert-authority *.example ${keyPart(c)}`,
      `*.wild ${keyPart(c)}`,
      `broken ssh-ed25519 AAAA`,
    ].join('\n');
    const got = [...parseKnownHostsText(text)];
    const ok = got.filter((g) => g !== null);
    expect(ok.map((g) => [g.host, g.port, g.keyType])).toEqual([
      ['mon-a.example', 22, 'ssh-ed25519'],
      ['10.0.0.1', 22, 'ssh-ed25519'],
      ['127.13.0.5', 2222, 'ssh-rsa'],
    ]);
    expect(got.filter((g) => g === null)).toHaveLength(3);
  });

  it('matches hashed names produced by ssh-keygen -H against candidates', async () => {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `ctl.example ${keyPart(a)}\n[127.13.0.9]:2200 ${keyPart(c)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const hashed = readFileSync(file, 'utf8');
    expect(hashed).toContain('|1|');
    expect(hashed).not.toContain('ctl.example');
    const store = new KnownHostsStore(join(dir, 'kh1.json'));
    const r = await store.importOpenSsh(hashed, [
      { host: 'ctl.example', port: 22 },
      { host: '127.13.0.9', port: 2200 },
      { host: 'other', port: 22 },
    ]);
    expect(r.imported).toBe(2);
    expect((await store.check('ctl.example', 22, a.blob)).status).toBe('known');
    expect((await store.check('127.13.0.9', 2200, c.blob)).status).toBe('known');
  });
});

describe('KnownHostsStore', () => {
  const a = hostKey('sa', 'ed25519');
  const b = hostKey('sb', 'ed25519');
  const r = hostKey('sr', 'rsa');

  it('computes fingerprints exactly like ssh-keygen -lf and detects changes', async () => {
    const path = join(dir, 'kh2.json');
    const store = new KnownHostsStore(path);
    const first = await store.check('Mon-A', 22, a.blob);
    expect(first).toMatchObject({ status: 'unknown', keyType: 'ssh-ed25519', fingerprint: a.fp });
    await store.add('Mon-A', 22, a.blob);
    const reopened = new KnownHostsStore(path);
    expect((await reopened.check('mon-a', 22, a.blob)).status).toBe('known');
    expect((await reopened.check('mon-a', 2222, a.blob)).status).toBe('unknown');
    const changed = await reopened.check('mon-a', 22, b.blob);
    expect(changed).toMatchObject({ status: 'changed', fingerprint: b.fp, previous: { fingerprint: a.fp } });
    expect(await reopened.check('mon-a', 22, r.blob)).toMatchObject({ status: 'unknown', otherTypes: ['ssh-ed25519'] });
    await expect(reopened.add('mon-a', 22, b.blob)).rejects.toThrow(ApiErrorException);
    const imp = await reopened.importOpenSsh(`mon-a ${b.line}\nmon-b ${b.line}`);
    expect(imp).toMatchObject({ imported: 1, conflicts: [{ host: 'mon-a', port: 22, keyType: 'ssh-ed25519' }] });
    await reopened.remove({ host: 'mon-a', port: 22, keyType: 'ssh-ed25519' });
    expect((await reopened.check('mon-a', 22, b.blob)).status).toBe('unknown');
    expect((await reopened.list()).map((e) => e.host)).toEqual(['mon-b']);
  });

  it('refuses to work from a damaged file instead of trusting everything again', async () => {
    const path = join(dir, 'kh3.json');
    writeFileSync(path, '{not json');
    await expect(new KnownHostsStore(path).check('x', 22, a.blob)).rejects.toMatchObject({ code: 'parse-error' });
  });
});
