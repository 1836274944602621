import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventory } from './parse';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'inventory');
const load = (name: string) => readFileSync(join(fixtures, name), 'utf8');

describe('parseInventory', () => {
  it('accepts the documented example', () => {
    const r = parseInventory(load('example.yaml'), 'example.yaml');
    expect(r.problems).toEqual([]);
    expect(r.inventory?.hosts.map((h) => h.id)).toEqual(['bastion', 'mon-a1', 'mon-b1', 'controller-a']);
    expect(r.inventory?.hosts[2]?.port).toBe(2222);
    expect(r.inventory?.hosts[1]?.port).toBe(22);
    expect(r.inventory?.glance.stores.map((s) => `${s.id}:${s.cluster}`)).toEqual([
      'rbd-site-a:ceph-a',
      'rbd-site-b:ceph-b',
    ]);
  });

  it('names file, line and field for schema errors', () => {
    const r = parseInventory(load('bad-schema.yaml'), 'bad-schema.yaml');
    expect(r.inventory).toBeNull();
    const port = r.problems.find((p) => p.field === 'hosts[0].port');
    expect(port).toMatchObject({ file: 'bad-schema.yaml', line: 9 });
    const keyRef = r.problems.find((p) => p.field === 'hosts[0].auth.keyRef');
    // A missing field points at its parent (the auth mapping on line 10).
    expect(keyRef).toMatchObject({ line: 10 });
  });

  it('reports dangling references with their lines', () => {
    const r = parseInventory(load('bad-reference.yaml'), 'bad-reference.yaml');
    const byField = Object.fromEntries(r.problems.map((p) => [p.field, p]));
    expect(byField['hosts[0].site']).toMatchObject({
      line: 10,
      message: expect.stringContaining("unknown site 'site-x'"),
    });
    expect(byField['hosts[0].roles[0].cluster']).toMatchObject({
      line: 16,
      message: expect.stringContaining("unknown cluster 'ceph-z'"),
    });
    expect(byField['glance.stores[0].cluster']).toMatchObject({ line: 21 });
  });

  it('finds jump cycles, unknown jump hosts and duplicates', () => {
    const text = [
      'version: 1',
      'hosts:',
      '  - { id: a, address: 10.0.0.1, user: u, jump: b, auth: { method: agent } }',
      '  - { id: b, address: 10.0.0.2, user: u, jump: a, auth: { method: agent } }',
      '  - { id: c, address: 10.0.0.3, user: u, jump: nowhere, auth: { method: agent } }',
      '  - { id: c, address: 10.0.0.4, user: u, auth: { method: agent } }',
    ].join('\n');
    const msgs = parseInventory(text, 'inv.yaml').problems.map((p) => `${p.line} ${p.field} ${p.message}`);
    expect(msgs).toContain("6 hosts[3].id duplicate id 'c'");
    expect(msgs.some((m) => m.startsWith('3 hosts[0].jump jump hosts form a cycle: a -> b -> a'))).toBe(true);
    expect(msgs).toContain("5 hosts[2].jump unknown jump host 'nowhere'");
  });

  it('reports YAML syntax errors with their line', () => {
    const r = parseInventory('version: 1\nsites:\n  - name: a\n   role: primary\n', 'broken.yaml');
    expect(r.problems[0]).toMatchObject({ file: 'broken.yaml', line: 4 });
    expect(r.problems[0]?.message).toMatch(/^YAML:/);
    expect(parseInventory('', 'empty.yaml').problems[0]?.message).toMatch(/empty/);
  });
});
