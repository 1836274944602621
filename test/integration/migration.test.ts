/**
 * The Ceph-to-Ceph migration wizard against the real lab in its `migration` profile (site-a with pools, site-b
 * plain): the whole wizard by the engine over SSH, then the lab's state checked independently with the local Ceph
 * CLIs; and a crash test: the CLI is killed with SIGKILL in the middle of the switch-over and `resume` finishes.
 *
 * Needs `SWITCHYARD_LAB_PROFILE=migration bash test/lab/lab.sh up` (SWITCHYARD_LAB_DIR / _NET to pick the lab).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalRecord, RunState } from '../../core/common/wizard/journal';
import { formatDuration } from '../../core/common/wizard/eta';
import { computeTimings, renderMarkdown } from '../../core/common/wizard/report';
import { loadRun } from '../../core/node/wizard/journal-store';
import { WizardService } from '../../core/node/wizard/service';
import {
  IMAGES,
  REPO,
  ceph,
  inventoryOf,
  inventoryYaml,
  makeRunner,
  paramsOf,
  rbd,
  rbdTry,
  readLab,
  resetAndSeed,
  sha256Of,
  writeDuringMirroring,
  type LabJson,
  type Runner,
} from './support/migration-lab';

const lab = readLab();
const usable = lab?.profile === 'migration';
if (!usable)
  console.warn(
    `migration.test: no migration-profile lab at ${process.env['SWITCHYARD_LAB_DIR'] ?? '/var/tmp/switchyard-lab'}: skipped`,
  );

const CONFIRM = { 'demote-source': 'site-a', 'release-and-fence-source': 'site-a' };

interface OpenstackSeed {
  servers: { id: string; name: string }[];
  volumes: { id: string; name: string; server?: string }[];
  images: { id: string; name: string }[];
}
function readSeed(l: LabJson | undefined): OpenstackSeed | undefined {
  if (!l) return undefined;
  const p = join(l.labDir, 'openstack.json');
  if (!existsSync(p)) return undefined;
  const j = JSON.parse(readFileSync(p, 'utf8')) as { seed?: OpenstackSeed | null };
  return j.seed && j.seed.servers.length > 0 ? j.seed : undefined;
}
const seed = readSeed(lab);
/** The cloud's pools still hold the seed under the original names (a migrated lab needs lab.sh reset + up). */
const cloudMigratable =
  usable &&
  seed !== undefined &&
  rbdTry(lab as LabJson, 'site-a', ['info', `images/${seed.images[0]?.id ?? 'none'}`]).status === 0;
if (usable && !cloudMigratable)
  console.warn('migration.test: no seeded, not yet migrated OpenStack in the lab: the cloud migration test is skipped');

/** What must be true after a migration, observed with the local CLIs (not the wizard's SSH path). */
function checkEndState(l: LabJson, before: Record<string, string>, wroteDuringMirroring: boolean): void {
  const dstFsid = l.clusters.find((c) => c.name === 'site-b')?.fsid;
  for (const p of ['mig-images', 'mig-volumes', 'mig-vms']) {
    for (const site of ['site-a', 'site-b']) {
      const info = JSON.parse(rbd(l, site, ['mirror', 'pool', 'info', p, '--all', '--format', 'json'])) as {
        mode: string;
        peers?: unknown[];
      };
      expect(info.mode, `${site}/${p} mirror mode`).toBe('disabled');
      expect(info.peers ?? [], `${site}/${p} peers`).toEqual([]);
    }
  }
  for (const spec of IMAGES) {
    const b = JSON.parse(rbd(l, 'site-b', ['info', spec, '--format', 'json'])) as {
      features: string[];
      mirroring?: { state: string };
    };
    expect(b.features, `${spec} journaling on site-b`).not.toContain('journaling');
    expect(b.mirroring?.state ?? 'disabled', `${spec} mirroring on site-b`).toBe('disabled');
    // Fenced on the source: the old name is gone, NAME.migrated carries the destination fsid.
    expect(rbdTry(l, 'site-a', ['info', spec]).status, `${spec} still on site-a under its name`).not.toBe(0);
    expect(rbd(l, 'site-a', ['image-meta', 'get', `${spec}.migrated`, 'switchyard.migrated-to']).trim()).toBe(dstFsid);
    const a = sha256Of(l, 'site-a', `${spec}.migrated`);
    const bsum = sha256Of(l, 'site-b', spec);
    expect(bsum, `${spec} data on site-b equals site-a's`).toBe(a);
    if (spec === 'mig-volumes/volume-2' && wroteDuringMirroring)
      expect(bsum, 'writes made during mirroring arrived').not.toBe(before[spec]);
    else expect(bsum, `${spec} unchanged since seeding`).toBe(before[spec]);
  }
  // The clone keeps its parent on the destination (COW preserved, not flattened).
  const clone = JSON.parse(rbd(l, 'site-b', ['info', 'mig-vms/server1_disk', '--format', 'json'])) as {
    parent?: { pool: string; image: string };
  };
  expect(clone.parent?.pool).toBe('mig-images');
  expect(existsSync(join(l.labDir, 'run', 'site-b-rbd-mirror.pid')), 'site-b rbd-mirror stopped').toBe(false);
}

function checkJournal(records: JournalRecord[], journalText: string): void {
  expect(journalText).not.toMatch(/AQ[A-Za-z0-9+/]{38}==/);
  // The token travelled on stdin only; its output was journaled redacted.
  const create = records.find(
    (r) => r.type === 'command-intent' && r.argv.includes('bootstrap') && r.argv.includes('create'),
  );
  if (create && create.type === 'command-intent') {
    const res = records.find((r) => r.type === 'command-result' && r.cmd === create.cmd);
    expect(res?.type === 'command-result' && res.stdout).toMatch(/^\[redacted\]/);
  }
  const imports = records.filter((r) => r.type === 'command-intent' && r.argv.includes('import'));
  for (const r of imports) if (r.type === 'command-intent') expect(r.stdin).toMatch(/^\[redacted\]/);
}

function snapshotSums(l: LabJson): Record<string, string> {
  return Object.fromEntries(IMAGES.map((s) => [s, sha256Of(l, 'site-a', s)]));
}

describe.skipIf(!usable)('Ceph-to-Ceph migration wizard in the lab', () => {
  const l = lab as LabJson;
  const inv = inventoryOf(l);
  let runner: Runner;

  beforeAll(async () => {
    runner = await makeRunner(l, inv);
  });
  afterAll(async () => {
    await runner.close();
  });

  it('migrates by the engine, and the lab agrees afterwards', async () => {
    resetAndSeed(l);
    const before = snapshotSums(l);
    let wrote = false;
    const svc = new WizardService({
      home: runner.home,
      runner: runner.pool,
      operator: 'test',
      inventory: () => Promise.resolve(inv),
      onRecord: (r) => {
        // The cloud keeps writing while mirroring runs: write once the images are mirrored.
        if (!wrote && r.type === 'verified' && r.step === 'enable-image-mirroring') {
          wrote = true;
          writeDuringMirroring(l);
        }
      },
    });
    const t0 = Date.now();
    const st: RunState = await svc.start('ceph-migration', paramsOf(l), { confirmations: CONFIRM });
    const wall = Date.now() - t0;
    expect(st.status, st.lastMessage).toBe('succeeded');
    expect(wrote).toBe(true);
    const records = loadRun(svc.dir, st.runId);
    const tm = computeTimings(records);
    console.log(
      `migration by engine: ${formatDuration(wall)} wall, downtime ${formatDuration(tm.downtime?.ms ?? NaN)}; phases: ${tm.phases.map((p) => `${p.phase} ${p.ms === null ? '-' : formatDuration(p.ms)}`).join(', ')}`,
    );
    checkEndState(l, before, true);
    checkJournal(records, readFileSync(join(svc.dir, `${st.runId}.jsonl`), 'utf8'));
    const md = renderMarkdown(records);
    expect(md).toContain('Downtime');
    expect(md).toContain("'mirror' 'pool' 'promote'");
    svc.close();
  });

  it('survives kill -9 of the CLI mid switch-over: resume verifies first and finishes', async () => {
    resetAndSeed(l);
    const before = snapshotSums(l);
    const invFile = join(runner.home, 'inventory.yaml');
    const paramsFile = join(runner.home, 'params.json');
    writeFileSync(invFile, inventoryYaml(inv));
    writeFileSync(paramsFile, JSON.stringify(paramsOf(l)));
    writeFileSync(join(runner.home, 'known_hosts'), readFileSync(l.knownHostsPath));
    const env = { ...process.env, SWITCHYARD_VAULT_PASSPHRASE: 'migration-test-passphrase' };
    const base = ['bin/switchyard.mjs', 'wizard'];
    const common = ['--inventory', invFile, '--home', runner.home, '--known-hosts', l.knownHostsPath];
    const runsDir = join(runner.home, 'runs');
    const existing = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);
    const child = spawn(
      'node',
      [...base, 'run', 'ceph-migration', '--params', paramsFile, ...common, '--confirm', 'demote-source=site-a'],
      { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // Kill the moment the first promote intent is on disk: the command may or may not have reached Ceph.
    const killedAt = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const f = existsSync(runsDir) ? readdirSync(runsDir).find((n) => !existing.has(n)) : undefined;
        if (
          f &&
          readFileSync(join(runsDir, f), 'utf8').includes('"type":"command-intent","step":"promote-destination"')
        ) {
          child.kill('SIGKILL');
          clearInterval(timer);
          resolve(f.replace(/\.jsonl$/, ''));
        }
      }, 20);
      child.on('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`CLI exited (${String(code)}) before the switch-over:\n${out.slice(-3000)}`));
      });
    });
    await new Promise((r) => child.once('close', r));
    const runId = killedAt;
    const cli = (args: string[]): { status: number | null; out: string } => {
      const r = spawnSync('node', [...base, ...args, ...common], {
        cwd: REPO,
        env,
        encoding: 'utf8',
        timeout: 900_000,
      });
      return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
    };
    let r = cli(['resume', runId, '--confirm', 'release-and-fence-source=site-a']);
    if (r.status === 3 && r.out.includes('waiting-decision')) {
      // The verification said promote had not happened: the operator allows the re-run (that is the protocol).
      r = cli(['resume', runId, '--rerun', 'promote-destination', '--confirm', 'release-and-fence-source=site-a']);
    }
    expect(r.status, r.out.slice(-3000)).toBe(0);
    expect(r.out).toContain('succeeded');
    const records = loadRun(runsDir, runId);
    expect(records.some((x) => x.type === 'run-resumed')).toBe(true);
    const promoteVerifiedAfterCrash = records.some((x) => x.type === 'verified' && x.step === 'promote-destination');
    expect(promoteVerifiedAfterCrash).toBe(true);
    // Steps finished before the crash were not run again.
    const demotes = records.filter(
      (x) => x.type === 'command-intent' && x.step === 'demote-source' && x.purpose === 'execute',
    );
    expect(demotes.length).toBe(3);
    const tm = computeTimings(records);
    console.log(`crash run: downtime ${formatDuration(tm.downtime?.ms ?? NaN)} (includes the kill and the resume)`);
    checkEndState(l, before, false);
    checkJournal(records, readFileSync(join(runsDir, `${runId}.jsonl`), 'utf8'));
    expect(ceph(l, 'site-b', ['health']).trim()).toMatch(/^HEALTH_(OK|WARN)/);
  });

  it.skipIf(!cloudMigratable)(
    'migrates the seeded OpenStack cloud: servers, volumes, images; re-point verified',
    async () => {
      const sd = seed as OpenstackSeed;
      const osDir = join(l.labDir, 'openstack');
      const cloudPools = ['images', 'volumes', 'vms'];
      const specsBefore = cloudPools.flatMap((p) =>
        (JSON.parse(rbd(l, 'site-a', ['ls', p, '--format', 'json'])) as string[]).map((n) => `${p}/${n}`),
      );
      const params = {
        ...paramsOf(l),
        pools: [
          { name: 'images', mode: 'snapshot' },
          { name: 'volumes', mode: 'journal' },
          { name: 'vms', mode: 'journal' },
        ],
        openstack: { controller: 'controller' },
        repoint: {
          checks: [
            {
              service: 'glance',
              file: join(osDir, 'etc/glance/glance-api.conf'),
              key: 'rbd_store_ceph_conf',
              sudo: true,
            },
            { service: 'cinder', file: join(osDir, 'etc/cinder/cinder.conf'), key: 'rbd_ceph_conf', sudo: true },
            { service: 'nova', file: join(osDir, 'etc/nova/nova.conf'), key: 'images_rbd_ceph_conf', sudo: true },
          ],
        },
      };
      const svc = new WizardService({
        home: runner.home,
        runner: runner.pool,
        operator: 'test',
        inventory: () => Promise.resolve(inv),
      });
      let st = await svc.start('ceph-migration', params, { confirmations: CONFIRM });
      expect(st.status, st.lastMessage).toBe('waiting-manual');
      expect(st.steps.find((x) => x.status === 'waiting-manual')?.id).toBe('repoint-cloud');
      // A manual step that was not done is verified as not done.
      await svc.manualDone(st.runId, 'repoint-cloud', 'pretending');
      st = await svc.resume(st.runId);
      expect(st.status).toBe('failed');
      // The operator re-points the cloud (the lab's way), says done, the wizard verifies and restores.
      const rp = spawnSync('bash', [join(REPO, 'test/integration/support/repoint-lab-cloud.sh')], {
        env: {
          ...process.env,
          SWITCHYARD_LAB_DIR: l.labDir,
          SWITCHYARD_LAB_NET: l.net,
          SWITCHYARD_LAB_PROFILE: 'migration',
        },
        encoding: 'utf8',
      });
      expect(rp.status, rp.stderr).toBe(0);
      await svc.manualDone(st.runId, 'repoint-cloud', 'glance, cinder, nova re-pointed and restarted');
      st = await svc.resume(st.runId);
      expect(st.status, st.lastMessage).toBe('succeeded');
      const records = loadRun(svc.dir, st.runId);
      const tm = computeTimings(records);
      console.log(
        `cloud migration: downtime ${formatDuration(tm.downtime?.ms ?? NaN)} (includes the manual re-point); phases: ${tm.phases.map((p) => `${p.phase} ${p.ms === null ? '-' : formatDuration(p.ms)}`).join(', ')}`,
      );
      // Independent checks: the cloud through the plain CLI, Ceph through the local CLIs.
      const os = async (args: string[]): Promise<unknown> =>
        JSON.parse(
          (await runner.pool.run('controller', ['openstack', ...args, '-f', 'json'], { timeoutMs: 120_000 })).stdout,
        ) as unknown;
      for (const s0 of sd.servers)
        expect(((await os(['server', 'show', s0.id])) as { status: string }).status, s0.name).toBe('ACTIVE');
      for (const v of sd.volumes) {
        const vol = (await os(['volume', 'show', v.id])) as { status: string; attachments: { server_id: string }[] };
        expect(vol.status, v.name).toBe('in-use');
      }
      for (const i of sd.images)
        expect(((await os(['image', 'show', i.id])) as { status: string }).status).toBe('active');
      for (const spec of specsBefore) {
        expect(sha256Of(l, 'site-b', spec), spec).toBe(sha256Of(l, 'site-a', `${spec}.migrated`));
      }
      for (const p of cloudPools) {
        for (const site of ['site-a', 'site-b']) {
          expect(
            (JSON.parse(rbd(l, site, ['mirror', 'pool', 'info', p, '--format', 'json'])) as { mode: string }).mode,
          ).toBe('disabled');
        }
      }
      svc.close();
    },
  );
});
