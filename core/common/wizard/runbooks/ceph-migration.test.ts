import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../inventory/schema';
import { planWizard } from '../define';
import { cephMigrationWizard, migrationParamsSchema } from './ceph-migration';
import { caughtUp } from './ceph-migration/steps-mirror';
import { parseMirrorPoolStatus } from '../../parsers';
import { readFileSync } from 'node:fs';
import { migrationInventory } from './ceph-migration/fixtures.test-support';

const inventory: Inventory = migrationInventory({
  a: { conf: '/etc/ceph/a.conf', sudo: true },
  b: { sudo: false },
  cloud: 'prod',
});
const params = migrationParamsSchema.parse({
  source: { cluster: 'ceph-a' },
  destination: { cluster: 'ceph-b' },
  pools: [
    { name: 'glance', mode: 'snapshot' },
    { name: 'nova', mode: 'journal' },
  ],
  openstack: { controller: 'ctl' },
  mirrorDaemon: {
    start: ['systemctl', 'start', 'x'],
    stop: ['systemctl', 'stop', 'x'],
    isRunning: ['systemctl', 'is-active', 'x'],
  },
});
const facts = {
  srcFsid: '11111111-1111-1111-1111-111111111111',
  dstFsid: '22222222-2222-2222-2222-222222222222',
  images: [
    {
      pool: 'nova',
      name: 'vm1_disk',
      size: 1,
      features: ['layering', 'exclusive-lock'],
      parent: { pool: 'glance', image: 'img', snapshot: 'snap' },
      depth: 1,
    },
    { pool: 'glance', name: 'img', size: 1, features: ['layering', 'exclusive-lock'], parent: null, depth: 0 },
  ],
  servers: [{ id: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', name: 'vm1', status: 'ACTIVE' }],
  attachments: [],
  glanceImages: [],
  poolsToCreate: [{ name: 'nova', pgNum: 32 }],
};

describe('ceph-migration plan', () => {
  const plan = planWizard(cephMigrationWizard, params, inventory, facts);
  const step = (id: string) => plan.find((s) => s.id === id);

  it('lists every command with its host before anything runs, placeholders only without discovery', () => {
    expect(plan.every((s) => !s.placeholders || s.id === 'discover' || s.id === 'remove-peers')).toBe(true);
    const bare = planWizard(cephMigrationWizard, params, inventory, {});
    expect(bare.find((s) => s.id === 'enable-image-mirroring')?.placeholders).toBe(true);
    expect(step('demote-source')?.commands.map((c) => c.host)).toEqual(['a-mon', 'a-mon']);
    expect(step('demote-source')?.commands[0]?.argv.slice(0, 3)).toEqual(['sudo', '-n', 'rbd']);
    expect(step('stop-servers')?.commands[0]?.argv).toEqual([
      'openstack',
      '--os-cloud',
      'prod',
      'server',
      'stop',
      'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
    ]);
  });

  it('moves the bootstrap token only through stdin', () => {
    const cmds = step('peer-bootstrap')?.commands ?? [];
    expect(cmds[0]?.captureSecret).toBe('bootstrap-token');
    for (const c of cmds.slice(1)) {
      expect(c.stdinSecret).toBe('bootstrap-token');
      expect(c.argv[c.argv.length - 1]).toBe('/dev/stdin');
      expect(c.argv).toContain('rx-only');
    }
  });

  it('enables parents before clones and disables clones before parents', () => {
    const en = (step('enable-image-mirroring')?.commands ?? []).map((c) => c.argv.join(' '));
    expect(en[0]).toContain('glance/img');
    expect(en[1]).toContain('nova/vm1_disk');
    const dis = (step('disable-mirroring-destination')?.commands ?? [])
      .map((c) => c.argv.join(' '))
      .filter((a) => a.includes('image disable'));
    expect(dis[0]).toContain('nova/vm1_disk');
    expect(dis[1]).toContain('glance/img');
  });

  it('types the source cluster name for destructive steps, retries promote on EBUSY only', () => {
    expect(step('demote-source')?.confirmation?.expected).toBe('ceph-a');
    expect(step('release-and-fence-source')?.confirmation?.expected).toBe('ceph-a');
    expect(step('promote-destination')?.retry).toEqual({ onExitCodes: [16], attempts: 8, delayMs: 5000 });
    expect(plan.filter((s) => s.risk === 'destructive').every((s) => s.confirmation)).toBe(true);
  });

  it('stops the destination rbd-mirror before removing peers (it re-registers the tx-only peer)', () => {
    const ids = plan.map((s) => s.id);
    expect(ids.indexOf('stop-destination-rbd-mirror')).toBeLessThan(ids.indexOf('remove-peers'));
    expect(ids.indexOf('remove-peers')).toBeLessThan(ids.indexOf('release-and-fence-source'));
  });

  it('fences by renaming with the destination fsid as image-meta', () => {
    const cmds = (step('release-and-fence-source')?.commands ?? []).map((c) => c.argv.join(' '));
    expect(cmds.some((a) => a.includes('rename nova/vm1_disk nova/vm1_disk.migrated'))).toBe(true);
    expect(
      cmds.some((a) => a.includes(`image-meta set glance/img.migrated switchyard.migrated-to ${facts.dstFsid}`)),
    ).toBe(true);
    expect(cmds.filter((a) => a.includes('image disable')).every((a) => a.includes('--force'))).toBe(true);
  });

  it('judges "caught up" from real status samples (journal and snapshot)', () => {
    const dir = new URL('../../parsers/fixtures/pacific-16.2.15/', import.meta.url).pathname;
    const j = parseMirrorPoolStatus(
      readFileSync(`${dir}01-synced-mirror-pool-status-verbose-volumes-site-b.json`, 'utf8'),
    );
    const s = parseMirrorPoolStatus(
      readFileSync(`${dir}01-synced-mirror-pool-status-verbose-images-site-b.json`, 'utf8'),
    );
    const d = parseMirrorPoolStatus(
      readFileSync(`${dir}03-demoted-both-secondary-mirror-pool-status-verbose-images-site-b.json`, 'utf8'),
    );
    if (!j.ok || !s.ok || !d.ok) throw new Error('fixtures do not parse');
    expect(caughtUp(j.value.images[0], 'journal')).toBe(true);
    expect(caughtUp(s.value.images[0], 'snapshot')).toBe(true);
    expect(caughtUp(d.value.images[0], 'snapshot')).toBe(false);
  });
});
