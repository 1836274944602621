/**
 * Migration bench against the lab in its `migration` profile (SWITCHYARD_LAB_DIR / SWITCHYARD_LAB_NET pick it):
 * the downtime (Switch-over start → Restore end) of the wizard, against the blog's switch-over commands run one by
 * one as an operator types them (one SSH exec each, status checked every 10 s), for the seeded workload (4
 * images) and a larger one (BENCH_MIGRATION_IMAGES, default 50; BENCH_MIGRATION_ONLY_LARGE=1 runs that one only). Both start from the same mirrored, caught-up
 * state, which the wizard's Mirror phase builds. Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { formatDuration } from '../core/common/wizard/eta';
import { computeTimings } from '../core/common/wizard/report';
import { loadRun } from '../core/node/wizard/journal-store';
import { WizardService } from '../core/node/wizard/service';
import { rbdBase } from '../core/common/commands/rbd';
import { cephTargetFromRole } from '../core/common/commands/ceph';
import {
  ceph,
  inventoryOf,
  labSh,
  makeRunner,
  paramsOf,
  POOLS,
  rbd,
  readLab,
  resetAndSeed,
  type LabJson,
  type Runner,
} from '../test/integration/support/migration-lab';
import type { Inventory } from '../core/common/inventory/schema';

const CONFIRM = { 'demote-source': 'site-a', 'release-and-fence-source': 'site-a' };
const F = ['--image-feature', 'layering,exclusive-lock,object-map,fast-diff'];

function seedMany(lab: LabJson, n: number): void {
  resetAndSeed(lab);
  const clones = Math.floor((n - 4) / 2);
  for (let i = 0; i < clones; i++)
    rbd(lab, 'site-a', ['clone', ...F, 'mig-images/glance-base@snap', `mig-vms/server-${i}_disk`]);
  for (let i = 0; i < n - 4 - clones; i++)
    rbd(lab, 'site-a', ['import', ...F, '--no-progress', '-', `mig-volumes/volume-x${i}`], randomBytes(1 << 20));
}

async function wizardRun(
  r: Runner,
  inv: Inventory,
  lab: LabJson,
  checksums: boolean,
): Promise<{ downtimeMs: number; totalMs: number; phases: string }> {
  const svc = new WizardService({
    home: r.home,
    runner: r.pool,
    operator: 'bench',
    inventory: () => Promise.resolve(inv),
  });
  const t0 = Date.now();
  const st = await svc.start('ceph-migration', { ...paramsOf(lab), checksums }, { confirmations: CONFIRM });
  if (st.status !== 'succeeded') throw new Error(`wizard run ${st.runId} ended ${st.status}: ${st.lastMessage ?? ''}`);
  const records = loadRun(svc.dir, st.runId);
  const tm = computeTimings(records);
  svc.close();
  const phases = tm.phases.map((p) => `${p.phase} ${p.ms === null ? '-' : formatDuration(p.ms)}`).join(', ');
  // Per step (first record of the step to its step-finished), with how many commands it sent.
  const first = new Map<string, number>();
  const steps: { id: string; ms: number; cmds: number }[] = [];
  for (const rec of records) {
    if (!('step' in rec) || typeof rec.step !== 'string') continue;
    if (!first.has(rec.step)) first.set(rec.step, Date.parse(rec.ts));
    if (rec.type === 'step-finished' && rec.status === 'done')
      steps.push({
        id: rec.step,
        ms: Date.parse(rec.ts) - (first.get(rec.step) ?? Date.parse(rec.ts)),
        cmds: records.filter((x) => x.type === 'command-intent' && x.step === rec.step).length,
      });
  }
  const slowest = steps
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8)
    .map((x) => `${x.id} ${formatDuration(x.ms)} (${x.cmds} cmds)`)
    .join(', ');
  return {
    downtimeMs: tm.downtime?.ms ?? NaN,
    totalMs: Date.now() - t0,
    phases: `${phases}\n    slowest steps: ${slowest}`,
  };
}

/** The blog's switch-over and cut, one command per exec, as typed; mirroring set up by the wizard first. */
async function blogRun(r: Runner, inv: Inventory, lab: LabJson): Promise<number> {
  const svc = new WizardService({
    home: r.home,
    runner: r.pool,
    operator: 'bench',
    inventory: () => Promise.resolve(inv),
    onRecord: (rec) => {
      if (rec.type === 'verified' && rec.step === 'wait-replaying') void svc.pause(rec.runId);
    },
  });
  const st = await svc.start('ceph-migration', paramsOf(lab), { confirmations: CONFIRM });
  if (st.status !== 'paused') throw new Error(`expected the wizard paused after Mirror, got ${st.status}`);
  const role = (h: string) => {
    const x = inv.hosts.find((y) => y.id === h)?.roles[0];
    if (!x || x.kind !== 'ceph-mon') throw new Error(`no ceph role on ${h}`);
    return cephTargetFromRole(x);
  };
  const A = rbdBase(role('site-a-mon'));
  const B = rbdBase(role('site-b-mon'));
  const on = async (host: string, argv: string[]) => r.pool.run(host, argv, { timeoutMs: 120_000 });
  const t0 = Date.now();
  for (const p of POOLS) {
    // "we make sure no active mirroring is happening", then demote on the source and promote on the destination.
    await on('site-b-mon', [...B, 'mirror', 'pool', 'status', p.name]);
    await on('site-a-mon', [...A, 'mirror', 'pool', 'demote', p.name]);
    for (;;) {
      const s = await on('site-b-mon', [...B, 'mirror', 'pool', 'status', p.name, '--verbose', '--format', 'json']);
      const imgs = (JSON.parse(s.stdout) as { images?: { state?: string }[] }).images ?? [];
      if (imgs.every((i) => i.state === 'up+stopped' || i.state === 'up+unknown')) break;
      await new Promise((res) => setTimeout(res, 10_000));
    }
    await on('site-b-mon', [...B, 'mirror', 'pool', 'promote', p.name]);
    await on('site-b-mon', [...B, 'mirror', 'pool', 'status', p.name, '--verbose']);
  }
  for (const p of POOLS) {
    const info = JSON.parse(
      (await on('site-b-mon', [...B, 'mirror', 'pool', 'info', p.name, '--format', 'json'])).stdout,
    ) as { peers?: { uuid: string }[] };
    for (const peer of info.peers ?? [])
      await on('site-b-mon', [...B, 'mirror', 'pool', 'peer', 'remove', p.name, peer.uuid]);
  }
  // "disable mirroring per pool": the parent pool fails while children are mirrored; fix it per image, retry.
  for (const p of [...POOLS].reverse()) await on('site-b-mon', [...B, 'mirror', 'pool', 'disable', p.name]);
  for (const p of POOLS) {
    const info = JSON.parse(
      (await on('site-b-mon', [...B, 'mirror', 'pool', 'info', p.name, '--format', 'json'])).stdout,
    ) as { mode: string };
    if (info.mode === 'disabled') continue;
    const names = JSON.parse((await on('site-b-mon', [...B, 'ls', p.name, '--format', 'json'])).stdout) as string[];
    for (const n of names) await on('site-b-mon', [...B, 'mirror', 'image', 'disable', `${p.name}/${n}`]);
    await on('site-b-mon', [...B, 'mirror', 'pool', 'disable', p.name]);
  }
  for (const p of POOLS) {
    const names = JSON.parse((await on('site-b-mon', [...B, 'ls', p.name, '--format', 'json'])).stdout) as string[];
    for (const n of names) await on('site-b-mon', [...B, 'feature', 'disable', `${p.name}/${n}`, 'journaling']);
  }
  await on(
    'site-b-mon',
    paramsOf(lab)['mirrorDaemon'] ? (paramsOf(lab)['mirrorDaemon'] as { stop: string[] }).stop : ['true'],
  );
  const ms = Date.now() - t0;
  await svc.abort(st.runId, 'bench: the blog procedure took over after the Mirror phase');
  svc.close();
  return ms;
}

/** Leaves the lab as the bench found it: no rbd-mirror on site-b, no test pools (the 50 images go with them). */
function cleanup(lab: LabJson): void {
  labSh(lab, ['fault', 'stop-mirror', 'site-b']);
  for (const site of ['site-a', 'site-b']) {
    const have = ceph(lab, site, ['osd', 'pool', 'ls']).split('\n');
    for (const p of POOLS)
      if (have.includes(p.name))
        ceph(lab, site, ['osd', 'pool', 'rm', p.name, p.name, '--yes-i-really-really-mean-it']);
  }
}

export async function run(): Promise<void> {
  const lab = readLab();
  if (!lab || lab.profile !== 'migration') {
    console.log(
      'no migration-profile lab (SWITCHYARD_LAB_DIR): start one with SWITCHYARD_LAB_PROFILE=migration bash test/lab/lab.sh up',
    );
    return;
  }
  const inv = inventoryOf(lab);
  const r = await makeRunner(lab, inv);
  const large = Number(process.env['BENCH_MIGRATION_IMAGES'] ?? 50);
  try {
    // BENCH_MIGRATION_ONLY_LARGE=1: the larger workload only (the seeded one takes its own ~10 min on a loaded box).
    const sizes: [string, number][] = [
      ...(process.env['BENCH_MIGRATION_ONLY_LARGE'] === '1' ? [] : [['seeded (4 images)', 4] as [string, number]]),
      [`larger (${large} images)`, large],
    ];
    for (const [label, n] of sizes) {
      const load0 = loadavg();
      const seed = (): void => (n === 4 ? resetAndSeed(lab) : seedMany(lab, n));
      seed();
      const w = await wizardRun(r, inv, lab, true);
      seed();
      const wNo = await wizardRun(r, inv, lab, false);
      seed();
      const b = await blogRun(r, inv, lab);
      console.log(
        `${label}: wizard downtime ${formatDuration(w.downtimeMs)} with checksums, ${formatDuration(wNo.downtimeMs)} without (whole run ${formatDuration(w.totalMs)}); ` +
          `blog commands one by one ${formatDuration(b)}; ratio wizard/blog ${(w.downtimeMs / b).toFixed(2)} (${(wNo.downtimeMs / b).toFixed(2)} without checksums)`,
      );
      // Where the wizard's time goes (the blog neither checksums, verifies per image, nor fences the source).
      console.log(`  wizard phases: ${w.phases}\n  without checksums: ${wNo.phases}`);
      const la = (x: number[]): string => x.map((v) => v.toFixed(1)).join(' ');
      console.log(`  load average (1/5/15 min) before: ${la(load0)}, after: ${la(loadavg())}`);
    }
  } finally {
    await r.close();
    cleanup(lab);
  }
}
