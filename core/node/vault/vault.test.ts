import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiErrorException } from '../../common/contract/define';
import type { VaultKeyStore } from './key-store';
import { Vault } from './vault';

const dir = mkdtempSync(join(tmpdir(), 'sy-vault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `vault-${n++}.json`);
const PASS = 'correct horse battery';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiErrorException) return err.code;
    throw err;
  }
  return 'no error';
}

function sshKey(passphrase = ''): { priv: string; fp: string } {
  const base = join(dir, `key-${n++}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', base]);
  const fp = execFileSync('ssh-keygen', ['-lf', `${base}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  return { priv: readFileSync(base, 'utf8'), fp };
}

// Each test derives several scrypt keys (N=2^17, ~0.5 s each on a quiet core): a loaded machine needs minutes.
describe('Vault', { timeout: 120_000 }, () => {
  it('round-trips secrets through the file, mode 0600', async () => {
    const path = freshPath();
    const v = new Vault({ path });
    await v.init({ passphrase: PASS });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const pw = await v.add({ kind: 'password', label: 'site-a root', value: 's3cret pässword' });
    const key = sshKey();
    const k = await v.add({ kind: 'ssh-key', label: 'ops key', value: key.priv });
    expect(k.fingerprint).toBe(key.fp);
    expect(k.encryptedKey).toBe(false);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('site-a root');

    const again = new Vault({ path });
    expect((await again.status()).unlocked).toBe(false);
    expect(await codeOf(Promise.resolve().then(() => again.list()))).toBe('vault-locked');
    await again.unlock({ passphrase: PASS });
    expect(again.list().map((m) => m.label)).toEqual(['site-a root', 'ops key']);
    expect(again.getSecret(pw.id).value).toBe('s3cret pässword');
    expect(again.getSecret('ops key').value).toBe(key.priv);
    expect(JSON.stringify(again.list())).not.toContain('s3cret');
    await again.remove(pw.id);
    expect(again.list()).toHaveLength(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await again.lock();
    expect(again.secretValues()).toEqual([]);
  });

  it('wrong passphrase: typed error, file byte-identical', async () => {
    const path = freshPath();
    await new Vault({ path }).init({ passphrase: PASS });
    const before = readFileSync(path);
    const v = new Vault({ path });
    expect(await codeOf(v.unlock({ passphrase: 'not the passphrase' }))).toBe('vault-bad-passphrase');
    expect(await codeOf(v.changePassphrase({ current: 'nope nope', next: 'whatever123' }))).toBe(
      'vault-bad-passphrase',
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(v.unlocked).toBe(false);
  });

  it('a flipped bit in the data is vault-corrupt and the file stays as it was', async () => {
    const path = freshPath();
    const v = new Vault({ path });
    await v.init({ passphrase: PASS });
    await v.add({ kind: 'password', label: 'x', value: 'y-value' });
    const file = JSON.parse(readFileSync(path, 'utf8')) as { data: { ciphertext: string } };
    const ct = Buffer.from(file.data.ciphertext, 'base64');
    ct[3] = (ct[3] ?? 0) ^ 0x01;
    file.data.ciphertext = ct.toString('base64');
    writeFileSync(path, JSON.stringify(file));
    const tampered = readFileSync(path);
    expect(await codeOf(new Vault({ path }).unlock({ passphrase: PASS }))).toBe('vault-corrupt');
    // A change on an already unlocked vault must not overwrite the damaged file either.
    expect(await codeOf(v.add({ kind: 'password', label: 'z', value: 'zz' }))).toBe('vault-corrupt');
    expect(readFileSync(path).equals(tampered)).toBe(true);
    writeFileSync(path, '{"format":"switchyard-vault"');
    expect(await codeOf(new Vault({ path }).unlock({ passphrase: PASS }))).toBe('vault-corrupt');
  });

  it('changing the passphrase re-wraps the key only', async () => {
    const path = freshPath();
    const v = new Vault({ path });
    await v.init({ passphrase: PASS });
    await v.add({ kind: 'cloud-password', label: 'admin@site-a', value: 'cloudpw' });
    const before = JSON.parse(readFileSync(path, 'utf8')) as { data: unknown; kdf: { salt: string } };
    await v.changePassphrase({ current: PASS, next: 'a new passphrase' });
    const after = JSON.parse(readFileSync(path, 'utf8')) as { data: unknown; kdf: { salt: string } };
    expect(after.data).toEqual(before.data);
    expect(after.kdf.salt).not.toBe(before.kdf.salt);
    expect(await codeOf(new Vault({ path }).unlock({ passphrase: PASS }))).toBe('vault-bad-passphrase');
    const w = new Vault({ path });
    await w.unlock({ passphrase: 'a new passphrase' });
    expect(w.getSecret('admin@site-a').value).toBe('cloudpw');
  });

  it('validates ssh keys and their passphrases', async () => {
    const v = new Vault({ path: freshPath() });
    await v.init({ passphrase: PASS });
    const enc = sshKey('keypass1');
    expect(await codeOf(v.add({ kind: 'ssh-key', label: 'k1', value: enc.priv }))).toBe('invalid-argument');
    expect(await codeOf(v.add({ kind: 'ssh-key', label: 'k1', value: enc.priv, keyPassphrase: 'wrong' }))).toBe(
      'invalid-argument',
    );
    const meta = await v.add({ kind: 'ssh-key', label: 'k1', value: enc.priv, keyPassphrase: 'keypass1' });
    expect(meta).toMatchObject({ encryptedKey: true, fingerprint: enc.fp });
    expect(v.getSecret('k1').keyPassphrase).toBe('keypass1');
    expect(await codeOf(v.add({ kind: 'ssh-key', label: 'k2', value: 'not a key' }))).toBe('invalid-argument');
    expect(await codeOf(v.add({ kind: 'password', label: 'k1', value: 'dup' }))).toBe('conflict');
    expect(await codeOf(v.init({ passphrase: PASS }))).toBe('conflict');
  });

  it('opens through a keychain key store', async () => {
    let saved: Buffer | null = null;
    const store: VaultKeyStore = {
      available: () => true,
      save: (k) => void (saved = Buffer.from(k)),
      load: () => saved,
      clear: () => void (saved = null),
    };
    const path = freshPath();
    const v = new Vault({ path, keyStore: store });
    expect((await v.init({ passphrase: PASS, useKeychain: true })).keychain).toBe('in-use');
    await v.add({ kind: 'password', label: 'p', value: 'pv' });
    const w = new Vault({ path, keyStore: store });
    expect(await w.unlockWithKeychain()).toBe(true);
    expect(w.getSecret('p').value).toBe('pv');
    await w.setKeychain(false);
    expect(await new Vault({ path, keyStore: store }).unlockWithKeychain()).toBe(false);
  });
});
