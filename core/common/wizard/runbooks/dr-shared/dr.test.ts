import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inventorySchema } from '../../../inventory/schema';
import { parseMirrorImageStatus, parseMirrorPoolStatus, parseRbdSnapLs } from '../../../parsers';
import { parseCtimeUtc } from '../../../topology/classify';
import { planWizard, type PlannedStep } from '../../define';
import { failbackWizard } from '../dr-failback';
import { plannedFailoverWizard } from '../dr-planned-failover';
import { drTestWizard } from '../dr-test';
import { unplannedFailoverWizard } from '../dr-unplanned-failover';
import { systemdMirrorDaemon } from '../mirror-daemon';
import { findWizard } from '../index';
import { backendAt, parseCinderServiceTable } from './cinder';
import { describeLoss, lastCopiedSnapshotSec, lossWindow, needsSnapshotList } from './loss';
import { caughtUp, demotionSeen } from './observe';
import type { DrFacts, DrImage } from './params';

const PAC = join(__dirname, '..', '..', '..', 'parsers', 'fixtures', 'pacific-16.2.15');
const f = (name: string): string => readFileSync(join(PAC, name), 'utf8');
const fx = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const status = (name: string) => {
  const r = parseMirrorPoolStatus(f(name));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const inventory = inventorySchema.parse({
  version: 1,
  sites: [
    { name: 'site-a', role: 'primary' },
    { name: 'site-b', role: 'secondary' },
  ],
  clusters: [
    { name: 'site-a', site: 'site-a' },
    { name: 'site-b', site: 'site-b' },
  ],
  hosts: [
    {
      id: 'mon-a',
      site: 'site-a',
      address: '127.0.0.1',
      user: 'op',
      auth: { method: 'agent' },
      roles: [{ kind: 'ceph-mon', cluster: 'site-a', conf: '/etc/ceph/a.conf' }],
    },
    {
      id: 'mon-b',
      site: 'site-b',
      address: '127.0.0.2',
      user: 'op',
      auth: { method: 'agent' },
      roles: [{ kind: 'ceph-mon', cluster: 'site-b', conf: '/etc/ceph/b.conf' }],
    },
    {
      id: 'ctl',
      address: '127.0.0.3',
      user: 'op',
      auth: { method: 'agent' },
      roles: [{ kind: 'openstack-controller', openrc: '/home/op/openrc' }],
    },
  ],
});

const VOL = '6f3c2a52-8a63-4a63-9d47-0d5e1a1b2c3d';
const images: DrImage[] = [
  { pool: 'vms', name: 'dr-journal-p1', mode: 'journal', globalId: 'g1', owner: 'wizard' },
  { pool: 'images', name: 'dr-snap-p1', mode: 'snapshot', globalId: 'g2', owner: 'wizard' },
  { pool: 'volumes', name: `volume-${VOL}`, mode: 'journal', globalId: 'g3', owner: 'cinder' },
];
const facts: DrFacts = { images, poolLevel: ['vms'], servers: [], unprotected: [] };
const openstack = {
  controller: 'ctl',
  cinder: { host: 'oslab@ceph', backendId: 'site-b', pool: 'volumes' },
  pools: { vms: 'vms', images: 'images' },
};
const argvOf = (steps: PlannedStep[], id: string): string[] =>
  (steps.find((s) => s.id === id)?.commands ?? []).map((c) => `${c.host}: ${c.argv.join(' ')}`);

describe('DR wizards are registered and their plans are exact', () => {
  it('all four are in the registry next to the migration runbook', () => {
    for (const id of ['dr-planned-failover', 'dr-unplanned-failover', 'dr-failback', 'dr-test'])
      expect(findWizard(id)?.id).toBe(id);
  });

  it('planned failover: pool-level for whole pools, image-level for the rest, Cinder volumes demoted first and promoted by failover-host', () => {
    const params = plannedFailoverWizard.params.parse({
      primary: { cluster: 'site-a' },
      secondary: { cluster: 'site-b' },
      scope: { pools: ['vms'], images: [{ pool: 'images', name: 'dr-snap-p1' }] },
      openstack,
    });
    const plan = planWizard(plannedFailoverWizard, params, inventory, { ...facts });
    const demote = plan.find((s) => s.id === 'demote');
    expect(demote?.risk).toBe('destructive');
    expect(demote?.confirmation?.expected).toBe('site-a');
    expect(argvOf(plan, 'demote')).toEqual([
      'mon-a: rbd --conf /etc/ceph/a.conf --client-mount-timeout 10 --rados-mon-op-timeout 10 --rados-osd-op-timeout 10 mirror pool demote vms',
      'mon-a: rbd --conf /etc/ceph/a.conf --client-mount-timeout 10 --rados-mon-op-timeout 10 --rados-osd-op-timeout 10 mirror image demote images/dr-snap-p1',
      // Demoted here so the driver's non-forced promote cannot race its own demote (openstack-facts.md 7).
      `mon-a: rbd --conf /etc/ceph/a.conf --client-mount-timeout 10 --rados-mon-op-timeout 10 --rados-osd-op-timeout 10 mirror image demote volumes/volume-${VOL}`,
    ]);
    expect(argvOf(plan, 'wait-demotion-propagated')).toHaveLength(3);
    expect(
      argvOf(plan, 'promote').every((a) => a.startsWith('mon-b: ') && / promote (vms|images\/dr-snap-p1)$/.test(a)),
    ).toBe(true);
    expect(argvOf(plan, 'promote').join('\n')).not.toMatch(/--force|volume-/);
    expect(plan.find((s) => s.id === 'promote')?.retry).toEqual({ onExitCodes: [16], attempts: 8, delayMs: 5000 });
    // The promote waits for the demotion to be seen (ceph-facts.md 6): the wait comes before the promote.
    const ids = plan.map((s) => s.id);
    expect(ids.indexOf('wait-demotion-propagated')).toBeLessThan(ids.indexOf('promote'));
    expect(ids.indexOf('promote')).toBeLessThan(ids.indexOf('cinder-failover'));
    expect(argvOf(plan, 'cinder-failover')).toEqual([
      'ctl: sh -c . "$1" || exit 97; shift; exec "$@" sh /home/op/openrc cinder --os-volume-api-version 3.64 failover-host --backend_id site-b oslab@ceph',
    ]);
    expect(plan.find((s) => s.id === 'verify-both-sides')?.commands).toHaveLength(6);
  });

  it('planned failover without OpenStack skips Nova/Cinder steps with a reason', () => {
    const params = plannedFailoverWizard.params.parse({
      primary: { cluster: 'site-a' },
      secondary: { cluster: 'site-b' },
      scope: { pools: ['vms'] },
    });
    const plan = planWizard(plannedFailoverWizard, params, inventory, { ...facts });
    expect(plan.find((s) => s.id === 'cinder-failover')?.notApplicable).toBe('no Cinder backend in the parameters');
    expect(plan.find((s) => s.id === 'stop-servers')?.notApplicable).toBe('no OpenStack controller in the parameters');
    expect(plan.find((s) => s.id === 'checksum-both')?.notApplicable).toMatch(/checksums not asked/);
  });

  it('unplanned failover: bounded probes, typed name of the lost site, --force promote at the survivor only', () => {
    const params = unplannedFailoverWizard.params.parse({
      lost: { cluster: 'site-a' },
      survivor: { cluster: 'site-b' },
      scope: { pools: ['vms'], images: [{ pool: 'images', name: 'dr-snap-p1' }] },
      probeSec: 5,
    });
    const plan = planWizard(unplannedFailoverWizard, params, inventory, {
      ...facts,
      lossWindow: { images: [], worstSnapshotAgeSec: 51, maxEntriesBehind: 131, lastContactMs: null, unknown: [] },
    });
    const fp = plan.find((s) => s.id === 'force-promote');
    expect(fp?.confirmation?.expected).toBe('site-a');
    expect(fp?.confirmation?.prompt).toMatch(/51 s of writes.*131 journal entries/);
    expect(argvOf(plan, 'force-promote')).toEqual([
      'mon-b: rbd --conf /etc/ceph/b.conf --client-mount-timeout 10 --rados-mon-op-timeout 10 --rados-osd-op-timeout 10 mirror pool promote --force vms',
      'mon-b: rbd --conf /etc/ceph/b.conf --client-mount-timeout 10 --rados-mon-op-timeout 10 --rados-osd-op-timeout 10 mirror image promote --force images/dr-snap-p1',
    ]);
    expect(argvOf(plan, 'prove-loss')).toEqual(['mon-a: true']);
    expect(plan.find((s) => s.id === 'fence-lost-site')?.manual).toBeDefined();
    // Without a way to run the survivor's rbd-mirror, the steps around the promote say why they are skipped.
    expect(plan.find((s) => s.id === 'stop-survivor-mirror')?.notApplicable).toMatch(/no mirrorDaemon.*62163/);
    // With one: stopped before the forced promote, started again after the Cinder failover.
    const daemon = systemdMirrorDaemon('b');
    const withDaemon = planWizard(unplannedFailoverWizard, { ...params, mirrorDaemon: daemon }, inventory, {
      ...facts,
    });
    const ids = withDaemon.map((s) => s.id);
    expect(ids.indexOf('stop-survivor-mirror')).toBe(ids.indexOf('force-promote') - 1);
    expect(ids.indexOf('start-survivor-mirror')).toBe(ids.indexOf('cinder-failover') + 1);
    expect(argvOf(withDaemon, 'stop-survivor-mirror')).toEqual([
      'mon-b: sudo -n systemctl disable --now ceph-rbd-mirror@b.service',
    ]);
    expect(argvOf(withDaemon, 'start-survivor-mirror')).toEqual([
      'mon-b: sudo -n systemctl enable --now ceph-rbd-mirror@b.service',
    ]);
    expect(withDaemon.find((s) => s.id === 'stop-survivor-mirror')?.notApplicable).toBeUndefined();
    // Nothing snapshot-mirrored promoted by the wizard: the daemon is left alone.
    const journalOnly = { ...facts, images: images.filter((i) => i.mode === 'journal') };
    const j = planWizard(unplannedFailoverWizard, { ...params, mirrorDaemon: daemon }, inventory, journalOnly);
    expect(j.find((s) => s.id === 'stop-survivor-mirror')?.notApplicable).toMatch(/no snapshot-mirrored image/);
    expect(() =>
      unplannedFailoverWizard.params.parse({
        lost: { cluster: 'site-a' },
        survivor: { cluster: 'site-a' },
        scope: { pools: ['vms'] },
      }),
    ).toThrow();
  });

  it('unplanned failover brings the workload up after failover-host: hard reboot when ACTIVE, start when SHUTOFF', () => {
    const a = '0b0e6c1e-1111-4a63-9d47-0d5e1a1b2c3d';
    const b = '0b0e6c1e-2222-4a63-9d47-0d5e1a1b2c3d';
    const params = unplannedFailoverWizard.params.parse({
      lost: { cluster: 'site-a' },
      survivor: { cluster: 'site-b' },
      scope: { pools: ['vms'], servers: [a, b] },
      openstack,
    });
    const plan = planWizard(unplannedFailoverWizard, params, inventory, {
      ...facts,
      servers: [
        { id: a, name: 'vm0', status: 'ACTIVE' },
        { id: b, name: 'vm1', status: 'SHUTOFF' },
      ],
    });
    const ids = plan.map((s) => s.id);
    expect(ids.indexOf('cinder-failover')).toBeLessThan(ids.indexOf('bring-up-workload'));
    const up = plan.find((s) => s.id === 'bring-up-workload');
    expect(up?.manual).toBeUndefined();
    expect(argvOf(plan, 'bring-up-workload')).toEqual([
      `ctl: sh -c . "$1" || exit 97; shift; exec "$@" sh /home/op/openrc openstack server reboot --hard ${a}`,
      `ctl: sh -c . "$1" || exit 97; shift; exec "$@" sh /home/op/openrc openstack server start ${b}`,
    ]);
    expect(plan.find((s) => s.id === 'reassign-az')?.notApplicable).toMatch(/no availability zone/);
  });

  it('failback: demote and resync only the chosen stale side, each behind its own typed confirmation, then switch back with Cinder "default"', () => {
    const params = failbackWizard.params.parse({
      current: { cluster: 'site-b' },
      returning: { cluster: 'site-a' },
      scope: { pools: ['vms'], images: [{ pool: 'images', name: 'dr-snap-p1' }] },
      openstack,
    });
    const detection = {
      views: [],
      toDemote: ['vms/dr-journal-p1', 'images/dr-snap-p1'],
      toResync: ['vms/dr-journal-p1', 'images/dr-snap-p1'],
    };
    const plan = planWizard(failbackWizard, params, inventory, { ...facts, detection });
    expect(plan.find((s) => s.id === 'demote-stale')?.confirmation?.expected).toBe('site-a');
    expect(plan.find((s) => s.id === 'resync-stale')?.risk).toBe('destructive');
    expect(plan.find((s) => s.id === 'resync-stale')?.confirmation?.expected).toBe('site-a');
    expect(
      argvOf(plan, 'resync-stale').every((a) => a.startsWith('mon-a: ') && a.includes('mirror image resync')),
    ).toBe(true);
    expect(argvOf(plan, 'snapshot-keeper')).toEqual([
      'mon-b: rbd --conf /etc/ceph/b.conf --client-mount-timeout 10 --rados-mon-op-timeout 10 --rados-osd-op-timeout 10 mirror image snapshot images/dr-snap-p1',
    ]);
    expect(plan.find((s) => s.id === 'demote')?.confirmation?.expected).toBe('site-b');
    expect(argvOf(plan, 'cinder-failover')[0]).toMatch(/failover-host --backend_id default oslab@ceph$/);
    // Keeping the returning site's data: nothing to switch back.
    const keep = failbackWizard.params.parse({ ...params, stale: 'current' });
    const plan2 = planWizard(failbackWizard, keep, inventory, { ...facts, detection });
    expect(argvOf(plan2, 'resync-stale').every((a) => a.startsWith('mon-b: '))).toBe(true);
    expect(plan2.find((s) => s.id === 'promote')?.notApplicable).toMatch(/nothing to switch back/);
  });

  it('DR test: copies at the DR site only, through the snapshot tool, removed afterwards', () => {
    const params = drTestWizard.params.parse({
      primary: { cluster: 'site-a' },
      secondary: { cluster: 'site-b' },
      scope: { images: [{ pool: 'images', name: 'dr-snap-p1' }] },
    });
    const plan = planWizard(drTestWizard, params, inventory, { images: [images[1]], tag: 'abc' });
    const copy = plan.find((s) => s.id === 'make-copies')?.commands[0];
    expect(copy?.host).toBe('mon-b');
    expect(copy?.argv.slice(-6)).toEqual(['copy', 'images', 'dr-snap-p1', '-', 'images', 'swy-drtest-abc-dr-snap-p1']);
    expect(argvOf(plan, 'cleanup')).toEqual([
      'mon-b: rbd --conf /etc/ceph/b.conf --client-mount-timeout 10 --rados-mon-op-timeout 10 --rados-osd-op-timeout 10 rm --no-progress images/swy-drtest-abc-dr-snap-p1',
    ]);
    expect(plan.every((s) => s.risk !== 'destructive')).toBe(true);
  });
});

describe('observations on real captures', () => {
  it('caught up / demotion seen / split-brain from the Pacific states', () => {
    const j = (p: string) => status(p).images[0];
    expect(caughtUp(j('01-synced-mirror-pool-status-verbose-volumes-site-b.json'), 'journal')).toBe(true);
    expect(caughtUp(j('01-synced-mirror-pool-status-verbose-images-site-b.json'), 'snapshot')).toBe(true);
    expect(caughtUp(j('05-siteA-down-mirror-pool-status-verbose-volumes-site-b.json'), 'journal')).toBe(false);
    expect(demotionSeen(j('03-demoted-both-secondary-mirror-pool-status-verbose-volumes-site-b.json'))).toBe(true);
    expect(demotionSeen(j('03-demoted-both-secondary-mirror-pool-status-verbose-images-site-b.json'))).toBe(true);
    expect(demotionSeen(j('01-synced-mirror-pool-status-verbose-volumes-site-b.json'))).toBe(false);
    expect(demotionSeen(j('08-split-brain-mirror-pool-status-verbose-volumes-site-a.json'))).toBe(false);
  });

  it('data-loss window of site-a lost (capture 05): 514 journal entries, snapshot age from its timestamp', () => {
    const imgs: DrImage[] = [
      { pool: 'volumes', name: 'dr-journal-p1', mode: 'journal', globalId: null, owner: 'wizard' },
      { pool: 'images', name: 'dr-snap-p1', mode: 'snapshot', globalId: null, owner: 'wizard' },
    ];
    const st = new Map([
      ['volumes/dr-journal-p1', status('05-siteA-down-mirror-pool-status-verbose-volumes-site-b.json').images[0]],
      ['images/dr-snap-p1', status('05-siteA-down-mirror-pool-status-verbose-images-site-b.json').images[0]],
    ]);
    const now = (1795314066 + 120) * 1000;
    const l = lossWindow(imgs, st, 'site-a', now);
    expect(l.maxEntriesBehind).toBe(514);
    expect(l.worstSnapshotAgeSec).toBe(120);
    expect(l.images[0]?.peerState).toBe('down+stopped');
    expect(l.lastContactMs).toBe(Date.UTC(2026, 10, 22, 2, 21, 4));
    expect(describeLoss(l)).toMatch(/120 s of writes.*514 journal entries/);
    const missing = lossWindow([{ ...(imgs[0] as DrImage), name: 'gone' }], new Map(), 'site-a', now);
    expect(missing.images[0]?.missing).toBe(true);
  });

  it('data-loss window of a fresh image whose status is not published yet: from the survivor snapshot list', () => {
    // Captured in the lab: site-b's status of a snapshot image ~1 s after it appeared there ("status not found"),
    // and its `snap ls --all` under TZ=UTC (one trashed and one complete non-primary mirror snapshot).
    const st = parseMirrorImageStatus(f('20-fresh-image-status-not-found-mirror-image-status-snapshot-site-b.json'));
    const snaps = parseRbdSnapLs(f('20-fresh-image-snap-ls-all-utc-site-b.json'));
    if (!st.ok || !snaps.ok) throw new Error('fixtures');
    const img: DrImage = { pool: 'images', name: 'dr-fresh-p1', mode: 'snapshot', globalId: null, owner: 'wizard' };
    const map = new Map([['images/dr-fresh-p1', st.value]]);
    expect(needsSnapshotList([img], map)).toEqual([img]);
    const copied = lastCopiedSnapshotSec(snaps.value);
    expect(copied).toBe(Date.UTC(2026, 11, 1, 22, 19, 12) / 1000);
    const now = Date.UTC(2026, 11, 1, 22, 20, 12);
    const without = lossWindow([img], map, 'site-a', now);
    expect(without.unknown).toEqual(['images/dr-fresh-p1']);
    const l = lossWindow([img], map, 'site-a', now, new Map([['images/dr-fresh-p1', copied]]));
    expect(l.unknown).toEqual([]);
    expect(l.worstSnapshotAgeSec).toBe(60);
    expect(l.images[0]?.snapshotAgeFrom).toBe('snapshots');
    expect(describeLoss(l)).toMatch(/60 s of writes .*1 from the snapshot list/);
    // An image with a published timestamp is not listed again.
    const pub = status('05-siteA-down-mirror-pool-status-verbose-images-site-b.json').images[0];
    expect(needsSnapshotList([img], new Map([['images/dr-fresh-p1', pub]]))).toEqual([]);
    expect(lastCopiedSnapshotSec([])).toBeNull();
  });

  it('ctime timestamps of rbd snap ls read as UTC; anything else is unknown', () => {
    expect(parseCtimeUtc('Tue Dec  1 22:19:12 2026')).toBe(Date.UTC(2026, 11, 1, 22, 19, 12));
    expect(parseCtimeUtc('Sun Nov 22 02:18:48 2026')).toBe(Date.UTC(2026, 10, 22, 2, 18, 48));
    expect(parseCtimeUtc('2026-12-01 22:19:12')).toBeNull();
    expect(parseCtimeUtc('Tue Foo  1 22:19:12 2026')).toBeNull();
    expect(parseCtimeUtc(null)).toBeNull();
  });

  it('Cinder backend state from the captured service-list tables', () => {
    const over = parseCinderServiceTable(fx('cinder-service-list-withreplication-failed-over.txt')).find(
      (s) => s.host === 'oslab@ceph',
    );
    const back = parseCinderServiceTable(fx('cinder-service-list-withreplication-failed-back.txt')).find(
      (s) => s.host === 'oslab@ceph',
    );
    const before = parseCinderServiceTable(fx('cinder-service-list-withreplication.txt')).find(
      (s) => s.host === 'oslab@ceph',
    );
    expect(over).toMatchObject({ replicationStatus: 'failed-over', activeBackendId: 'site-b', status: 'disabled' });
    expect(backendAt(over, 'site-b')).toBe(true);
    expect(backendAt(over, 'default')).toBe(false);
    expect(backendAt(back, 'default')).toBe(true);
    expect(backendAt(before, 'default')).toBe(true);
    expect(backendAt(undefined, 'site-b')).toBe(false);
  });
});
