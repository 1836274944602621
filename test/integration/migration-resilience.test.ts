/**
 * The migration wizard survives a cut SSH connection, in the real lab (`migration` profile, Ceph + SSH): the sshd
 * serving the wizard's connection is killed with SIGKILL (`lab.sh fault kill-host`, which takes the open sessions
 * and the commands they run with it) during a step, and started again a few seconds later. The run must pause
 * with the reason (status `reconnecting`, not a failure, not a hang), reconnect with backoff, verify the step
 * before anything is re-run, and finish; the lab's state is then checked with the local Ceph CLIs.
 *
 * 1. Cut while `wait-replaying` polls site-b: read-only, so after reconnecting the wizard just goes on.
 * 2. Cut while `demote-source` changes site-a, before the second pool's demote reached the host: the change is
 *    in doubt, so after reconnecting the verification decides; it says "not done" and the wizard stops for the
 *    operator without re-sending anything (observed on the cluster); the operator allows the re-run; it finishes.
 *
 * Leaves the lab as it found it: both sshd running, site-b's rbd-mirror stopped, the test pools removed.
 * Needs `SWITCHYARD_LAB_PROFILE=migration bash test/lab/lab.sh up` (SWITCHYARD_LAB_DIR / _NET pick the lab).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../core/common/wizard/eta';
import type { JournalRecord, RunState } from '../../core/common/wizard/journal';
import { computeTimings } from '../../core/common/wizard/report';
import { loadRun } from '../../core/node/wizard/journal-store';
import { WizardService } from '../../core/node/wizard/service';
import {
  IMAGES,
  POOLS,
  REPO,
  ceph,
  inventoryOf,
  makeRunner,
  paramsOf,
  rbd,
  rbdTry,
  readLab,
  resetAndSeed,
  sha256Of,
  type LabJson,
  type Runner,
} from './support/migration-lab';

const lab = readLab();
const usable = lab?.profile === 'migration';
if (!usable)
  console.warn(
    `migration-resilience.test: no migration-profile lab at ${process.env['SWITCHYARD_LAB_DIR'] ?? '/var/tmp/switchyard-lab'}: skipped`,
  );

const CONFIRM = { 'demote-source': 'site-a', 'release-and-fence-source': 'site-a' };
const LAB_SH = join(REPO, 'test', 'lab', 'lab.sh');

function labEnv(l: LabJson): NodeJS.ProcessEnv {
  return { ...process.env, SWITCHYARD_LAB_DIR: l.labDir, SWITCHYARD_LAB_NET: l.net };
}
/** Synchronous on purpose: the fault lands before the engine sends the command whose intent was just written. */
function killHost(l: LabJson, host: string): void {
  execFileSync('bash', [LAB_SH, 'fault', 'kill-host', host], { env: labEnv(l), stdio: 'pipe' });
}
function startHostLater(l: LabJson, host: string, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      const c = spawn('bash', [LAB_SH, 'fault', 'start-host', host], { env: labEnv(l), stdio: 'ignore' });
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`start-host ${host} exited ${code}`))));
    }, afterMs);
  });
}
function sshdRunning(l: LabJson, host: string): boolean {
  const pidFile = join(l.labDir, 'run', `sshd-${host}.pid`);
  if (!existsSync(pidFile)) return false;
  try {
    execFileSync('kill', ['-0', execFileSync('cat', [pidFile], { encoding: 'utf8' }).trim()]);
    return true;
  } catch {
    return false;
  }
}

/** Primary flag of every test image on one site, from `rbd info` (the local CLI, not the wizard's SSH path). */
function primaries(l: LabJson, site: string, pool: string): Record<string, boolean | undefined> {
  const names = JSON.parse(rbd(l, site, ['ls', pool, '--format', 'json'])) as string[];
  return Object.fromEntries(
    names.map((n) => {
      const i = JSON.parse(rbd(l, site, ['info', `${pool}/${n}`, '--format', 'json'])) as {
        mirroring?: { primary?: boolean };
      };
      return [n, i.mirroring?.primary];
    }),
  );
}

/** What must be true after the migration, observed with the local CLIs. */
function checkMigrated(l: LabJson, before: Record<string, string>): void {
  const dstFsid = l.clusters.find((c) => c.name === 'site-b')?.fsid;
  for (const p of POOLS)
    for (const site of ['site-a', 'site-b']) {
      const info = JSON.parse(rbd(l, site, ['mirror', 'pool', 'info', p.name, '--all', '--format', 'json'])) as {
        mode: string;
        peers?: unknown[];
      };
      expect(info.mode, `${site}/${p.name} mirror mode`).toBe('disabled');
      expect(info.peers ?? [], `${site}/${p.name} peers`).toEqual([]);
    }
  for (const spec of IMAGES) {
    expect(rbdTry(l, 'site-a', ['info', spec]).status, `${spec} fenced on site-a`).not.toBe(0);
    expect(rbd(l, 'site-a', ['image-meta', 'get', `${spec}.migrated`, 'switchyard.migrated-to']).trim()).toBe(dstFsid);
    const b = sha256Of(l, 'site-b', spec);
    expect(b, `${spec} on site-b equals the source at seeding`).toBe(before[spec]);
    expect(b, `${spec} on site-b equals the fenced source`).toBe(sha256Of(l, 'site-a', `${spec}.migrated`));
  }
  expect(existsSync(join(l.labDir, 'run', 'site-b-rbd-mirror.pid')), 'site-b rbd-mirror stopped').toBe(false);
  expect(ceph(l, 'site-b', ['health']).trim()).toMatch(/^HEALTH_(OK|WARN)/);
}

/** The pause and what happened while paused: only verification commands, with growing gaps (backoff). */
function pauseOf(records: JournalRecord[], step: string) {
  const p = records.findIndex((r) => r.type === 'run-paused' && r.status === 'reconnecting' && r.step === step);
  const q = records.findIndex((r, i) => i > p && r.type === 'run-resumed');
  const paused = records[p];
  const resumed = records[q];
  const between = records.slice(p + 1, q < 0 ? undefined : q);
  const intents = between.filter((r) => r.type === 'command-intent');
  return {
    paused: paused?.type === 'run-paused' ? paused : undefined,
    resumed: resumed?.type === 'run-resumed' ? resumed : undefined,
    ms: paused && resumed ? Date.parse(resumed.ts) - Date.parse(paused.ts) : NaN,
    purposes: [...new Set(intents.map((r) => (r.type === 'command-intent' ? r.purpose : '')))],
    failedAttempts: between.filter((r) => r.type === 'command-result' && r.error !== undefined).length,
  };
}

describe.skipIf(!usable)('migration wizard: a cut SSH connection mid-step', () => {
  const l = lab as LabJson;
  const inv = inventoryOf(l);
  let runner: Runner;

  beforeAll(async () => {
    runner = await makeRunner(l, inv);
  });
  afterAll(async () => {
    await runner.close();
    // Back to how the lab was: both sshd up, no rbd-mirror on site-b, no test pools.
    for (const h of ['site-a-mon', 'site-b-mon'])
      if (!sshdRunning(l, h)) execFileSync('bash', [LAB_SH, 'fault', 'start-host', h], { env: labEnv(l) });
    execFileSync('bash', [LAB_SH, 'fault', 'stop-mirror', 'site-b'], { env: labEnv(l) });
    for (const site of ['site-a', 'site-b']) {
      const have = ceph(l, site, ['osd', 'pool', 'ls']).split('\n');
      for (const p of POOLS)
        if (have.includes(p.name))
          ceph(l, site, ['osd', 'pool', 'rm', p.name, p.name, '--yes-i-really-really-mean-it']);
    }
  });

  it('cut while waiting for replay: pauses, reconnects with backoff, verifies, and finishes', async () => {
    resetAndSeed(l);
    const before = Object.fromEntries(IMAGES.map((s) => [s, sha256Of(l, 'site-a', s)]));
    let restarted: Promise<void> | undefined;
    const statuses: string[] = [];
    const svc = new WizardService({
      home: runner.home,
      runner: runner.pool,
      operator: 'test',
      inventory: () => Promise.resolve(inv),
      onRecord: (r) => {
        if (r.type === 'run-paused') statuses.push(r.status);
        if (!restarted && r.type === 'command-intent' && r.step === 'wait-replaying' && r.purpose === 'poll') {
          killHost(l, 'site-b-mon');
          restarted = startHostLater(l, 'site-b-mon', 6000);
        }
      },
    });
    const st: RunState = await svc.start('ceph-migration', paramsOf(l), { confirmations: CONFIRM });
    await restarted;
    expect(restarted, 'the cut happened').toBeDefined();
    expect(st.status, st.lastMessage).toBe('succeeded');
    const records = loadRun(svc.dir, st.runId);
    const pause = pauseOf(records, 'wait-replaying');
    expect(pause.paused?.message).toMatch(/connection to site-b-mon lost in wait-replaying while polling/);
    expect(pause.resumed?.reason).toMatch(/^reconnected after .*wait-replaying/);
    // While paused only observations ran (the verification polls), some refused while sshd was down: backoff.
    expect(pause.purposes.length).toBeGreaterThan(0);
    expect(pause.purposes).not.toContain('execute');
    expect(pause.failedAttempts).toBeGreaterThanOrEqual(1);
    expect(statuses[0]).toBe('reconnecting');
    // Not a failure: no step failed, and every step ran its changes once.
    expect(records.filter((r) => r.type === 'failed')).toEqual([]);
    const executes = (step: string) =>
      records.filter((r) => r.type === 'command-intent' && r.step === step && r.purpose === 'execute').length;
    expect(executes('start-destination-rbd-mirror')).toBe(1);
    expect(executes('demote-source')).toBe(POOLS.length);
    const tm = computeTimings(records);
    console.log(
      `cut during wait-replaying: paused ${formatDuration(pause.ms)} (${pause.failedAttempts} verification commands refused meanwhile), run ${formatDuration(tm.totalMs)}, downtime ${formatDuration(tm.downtime?.ms ?? NaN)}`,
    );
    checkMigrated(l, before);
    expect(sshdRunning(l, 'site-b-mon')).toBe(true);
    svc.close();
  });

  it('cut mid switch-over (demote): verifies, re-sends nothing by itself, finishes after the operator allows it', async () => {
    resetAndSeed(l);
    const before = Object.fromEntries(IMAGES.map((s) => [s, sha256Of(l, 'site-a', s)]));
    let restarted: Promise<void> | undefined;
    let demotes = 0;
    const svc = new WizardService({
      home: runner.home,
      runner: runner.pool,
      operator: 'test',
      inventory: () => Promise.resolve(inv),
      onRecord: (r) => {
        if (r.type === 'command-intent' && r.step === 'demote-source' && r.purpose === 'execute') {
          demotes++;
          // The second pool's demote is journaled as intended; the host dies before it is sent.
          if (demotes === 2 && !restarted) {
            killHost(l, 'site-a-mon');
            restarted = startHostLater(l, 'site-a-mon', 5000);
          }
        }
      },
    });
    let st = await svc.start('ceph-migration', paramsOf(l), { confirmations: CONFIRM });
    await restarted;
    expect(restarted, 'the cut happened').toBeDefined();
    expect(st.status, st.lastMessage).toBe('waiting-decision');
    expect(st.lastMessage).toMatch(
      /demote-source: the connection to site-a-mon broke while `sudo -n .*mirror pool demote mig-volumes` ran; reconnected, and the verification says the step is not done/,
    );
    const records = loadRun(svc.dir, st.runId);
    const pause = pauseOf(records, 'demote-source');
    expect(pause.purposes.length).toBeGreaterThan(0);
    expect(pause.purposes).not.toContain('execute');
    // The cluster agrees: the first pool is demoted, the second was never touched, nothing was re-sent.
    const [first, second] = POOLS;
    expect(Object.values(primaries(l, 'site-a', first?.name ?? '')).every((p) => p === false)).toBe(true);
    expect(Object.values(primaries(l, 'site-a', second?.name ?? '')).every((p) => p === true)).toBe(true);
    expect(demotes).toBe(2);
    // The operator allows the re-run (demote is idempotent on the pool already demoted) and the run finishes.
    await svc.rerun(st.runId, 'demote-source');
    st = await svc.resume(st.runId);
    expect(st.status, st.lastMessage).toBe('succeeded');
    const all = loadRun(svc.dir, st.runId);
    expect(all.some((r) => r.type === 'operator-decision' && r.decision === 'rerun')).toBe(true);
    const tm = computeTimings(all);
    console.log(
      `cut during demote-source: paused ${formatDuration(pause.ms)} (${pause.failedAttempts} verification commands refused meanwhile), downtime ${formatDuration(tm.downtime?.ms ?? NaN)} (includes the cut and the operator's re-run)`,
    );
    checkMigrated(l, before);
    expect(sshdRunning(l, 'site-a-mon')).toBe(true);
    svc.close();
  });
});
