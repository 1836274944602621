import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importCloudsYaml } from './import-clouds';
import { importSshConfig } from './import-ssh-config';
import { InventoryStore } from './inventory-store';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'inventory');
const dir = mkdtempSync(join(tmpdir(), 'sy-inv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('InventoryStore', () => {
  it('saves valid text atomically and refuses invalid text without touching the file', async () => {
    const path = join(dir, 'inventory.yaml');
    const store = new InventoryStore(path);
    expect((await store.get()).errors).toEqual([]);
    const good = readFileSync(join(fixtures, 'example.yaml'), 'utf8');
    expect((await store.save(good)).errors).toEqual([]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await store.getHost('mon-b1'))?.address).toBe('10.20.0.11');
    expect(await store.getHost('nope')).toBeUndefined();
    const bad = await store.save(readFileSync(join(fixtures, 'bad-reference.yaml'), 'utf8'));
    expect(bad.errors.length).toBeGreaterThan(0);
    expect(readFileSync(path, 'utf8')).toBe(good);
  });

  it('turns an invalid file into a parse-error naming file, line and field', async () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, readFileSync(join(fixtures, 'bad-schema.yaml')));
    await expect(new InventoryStore(path).getHost('mon-a1')).rejects.toMatchObject({
      code: 'parse-error',
      message: expect.stringMatching(/broken\.yaml:9 \(hosts\[0\]\.port\)/),
    });
  });
});

describe('imports', () => {
  it('reads hosts from ssh_config through the ssh-config library', () => {
    const hosts = importSshConfig(readFileSync(join(fixtures, 'ssh_config'), 'utf8'));
    expect(hosts.map((h) => h.id)).toEqual(['bastion', 'mon-a1', 'mon-a2', 'controller-b']);
    expect(hosts[1]).toMatchObject({
      address: 'mon-a1.site-a.example.net',
      user: 'ops',
      jump: 'bastion',
      port: 22,
      auth: { method: 'key', keyRef: '~/.ssh/ops_ed25519' },
    });
    expect(hosts[3]).toMatchObject({
      address: '10.20.0.31',
      port: 2200,
      user: 'stack',
      jump: 'bastion',
      auth: { method: 'agent' },
    });
  });
  it('lists clouds from clouds.yaml without their passwords', () => {
    const r = importCloudsYaml(readFileSync(join(fixtures, 'clouds.yaml'), 'utf8'));
    expect(r.clouds).toEqual(['site-a-admin', 'site-b-admin']);
    expect(JSON.stringify(r)).not.toContain('not-a-real-password');
    expect(() => importCloudsYaml('nothing: here')).toThrow(/clouds/);
  });
});
