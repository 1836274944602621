/**
 * Ceph-to-Ceph migration of an OpenStack cloud with one-way rbd-mirror, after the runbook in
 * shared/seeds/ceph-to-ceph-migration-rbd-mirroring-blog.txt, with the traps of ceph-facts.md 5–9 built in:
 * status published ~30 s late, EBUSY on an early promote, the hidden tx-only peer, disable ordering, journaling
 * already removed, and timeouts on every Ceph call. Downtime is measured from Switch-over start to Restore end.
 */
import { defineWizard } from '../define';
import { migrationParamsSchema, type MigrationParams } from './ceph-migration/params';
import { cutSteps } from './ceph-migration/steps-cut';
import { mirrorSteps } from './ceph-migration/steps-mirror';
import { preflightSteps } from './ceph-migration/steps-preflight';
import { glanceLocationSteps } from './ceph-migration/steps-glance';
import { finishSteps, repointSteps, restoreSteps } from './ceph-migration/steps-restore';
import { switchSteps } from './ceph-migration/steps-switch';

export { migrationParamsSchema, systemdMirrorDaemon, type MigrationParams } from './ceph-migration/params';

export const cephMigrationWizard = defineWizard<MigrationParams>({
  id: 'ceph-migration',
  title: 'Migrate OpenStack from one Ceph cluster to another (rbd-mirror)',
  description:
    "Moves the cloud's pools to a new Ceph cluster with one-way rbd-mirror while the cloud keeps running, then switches over with a short downtime: stop, demote, promote, cut the link, re-point, restore, with checksums.",
  params: migrationParamsSchema as unknown as import('zod').ZodType<MigrationParams>,
  phases: ['Preflight', 'Mirror', 'Switch-over', 'Cut the link', 'Re-point', 'Restore', 'Finish'],
  downtime: { from: 'Switch-over', to: 'Restore' },
  steps: [
    ...preflightSteps,
    ...mirrorSteps,
    ...switchSteps,
    ...cutSteps,
    ...repointSteps,
    ...glanceLocationSteps,
    ...restoreSteps,
    ...finishSteps,
  ],
});
