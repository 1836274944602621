/**
 * The migration wizard through the real renderer and the real local host, against the lab in its `migration`
 * profile (SWITCHYARD_LAB_DIR): plan preview, start, a wrong typed name refused, the right one accepted, live
 * progress, run succeeded with the measured downtime; then the lab's data checked with the local Ceph CLIs.
 * With the lab's seeded OpenStack, a second journey migrates the cloud: the manual re-point step, a false "done"
 * refused with its evidence, the re-point typed into the wizard's own terminal on the controller, restore, the
 * report; then the cloud and Ceph checked independently. Skipped without a migration-profile lab; the cloud
 * journey is skipped by name without the cloud.
 */
import { expect, test, type Page } from '@playwright/test';
import { confirmTyped } from './confirm';
import { startConsoleHost } from './console-host';
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { reconstruct } from '../../core/common/wizard/journal';
import { loadRun } from '../../core/node/wizard/journal-store';
import {
  IMAGES,
  inventoryOf,
  inventoryYaml,
  makeRunner,
  paramsOf,
  readLab,
  resetAndSeed,
  sha256Of,
  type LabJson,
} from '../integration/support/migration-lab';
import {
  cloudMigratedProblems,
  cloudParamsOf,
  cloudPhase,
  readCloudSeed,
  undoCloudMigration,
  type CloudSeed,
} from '../integration/support/cloud-lab';

const lab = readLab();
const PASS = 'wizard e2e passphrase';
const shots = join(process.cwd(), 'test-results', 'screenshots');
let host: ChildProcess | null = null;
let url = '';
let home = '';
/** Where the seed's hostile names would leave a trace if a shell ever ran them. */
const PWNED = '/tmp/swy-pwned';

const seed = lab?.profile === 'migration' ? readCloudSeed(lab) : undefined;
/** Fresh, or migrated by migration.test.ts just before (undone first); half-migrated needs lab.sh reset. */
const phase = lab && seed ? cloudPhase(lab, seed) : undefined;
const noCloud =
  phase === 'fresh' || phase === 'migrated'
    ? undefined
    : seed
      ? `the lab's cloud is half-migrated (${phase ?? '?'}): lab.sh reset + up`
      : 'no seeded OpenStack in the migration lab (SWITCHYARD_LAB_NO_OPENSTACK=1?)';

async function unlock(page: Page): Promise<void> {
  await page.goto(url);
  await page.locator('[data-nav="vault"]').click();
  const field = page.getByTestId('vault-passphrase');
  // Locked (first journey) or still unlocked in the same host process (the second): whichever shows first.
  await expect(field.or(page.getByTestId('secrets-table')).first()).toBeVisible();
  if (await field.isVisible()) {
    await field.fill(PASS);
    await page.getByTestId('vault-unlock').click();
  }
  await expect(page.getByTestId('secrets-table')).toContainText('lab-key');
}

const terminalText = (page: Page, id: string): Promise<string> =>
  page.evaluate(
    (tid) =>
      (window as unknown as { __switchyardTerminals?: { text(id: string): string[] } }).__switchyardTerminals
        ?.text(tid)
        .join('\n') ?? '',
    id,
  );

test.describe.configure({ mode: 'serial' });
test.skip(lab?.profile !== 'migration', 'no migration-profile lab (SWITCHYARD_LAB_DIR)');

test.beforeAll(async () => {
  test.setTimeout(120_000);
  if (!lab) return;
  resetAndSeed(lab);
  const ch = await startConsoleHost({
    prefix: 'swy-h6-e2e-',
    passphrase: PASS,
    privateKeyPath: lab.hosts[0]?.privateKeyPath ?? '',
    inventoryYaml: inventoryYaml(inventoryOf(lab)),
    knownHostsPath: lab.knownHostsPath,
    hosts: lab.hosts,
    shots,
    startTimeoutMs: 90_000,
  });
  host = ch.process;
  url = ch.url;
  home = ch.home;
});

test.afterAll(() => {
  host?.kill('SIGTERM');
});

test('migration wizard: plan, typed confirmations, progress, succeeded, data equal @migration-lab', async ({
  page,
}) => {
  test.setTimeout(600_000);
  if (!lab) return;
  const before = Object.fromEntries(IMAGES.map((s) => [s, sha256Of(lab, 'site-a', s)]));
  await unlock(page);

  await page.locator('[data-nav="wizards"]').click();
  await page.getByTestId('wizard-params').fill(JSON.stringify(paramsOf(lab), null, 2));
  await page.getByTestId('wizard-plan-discover').click();
  const steps = page.getByTestId('plan-step');
  await expect(steps.first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('wizards-view')).toContainText('mirror pool promote mig-images');
  await expect(page.getByTestId('wizards-view')).toContainText('mig-vms/server1_disk');
  await page.screenshot({ path: join(shots, 'wizard-plan.png'), fullPage: true });

  await page.getByTestId('wizard-start').click();
  const status = page.getByTestId('run-status');
  await expect(status).toHaveText('waiting-confirmation', { timeout: 300_000 });
  await expect(page.getByTestId('confirm-box')).toContainText('site-a');
  await confirmTyped(page, 'site-b', 'site-a');
  await expect(page.getByTestId('run-output')).toContainText('mirror pool demote', { timeout: 60_000 });
  // The second destructive step (fence the source) asks again.
  await expect(page.getByTestId('confirm-box')).toContainText('fence', { timeout: 300_000 });
  await page.screenshot({ path: join(shots, 'wizard-confirm.png'), fullPage: true });
  await page.getByTestId('confirm-input').fill('site-a');
  await page.getByTestId('confirm-button').click();
  await expect(status).toHaveText('succeeded', { timeout: 300_000 });
  await expect(page.getByTestId('run-downtime')).toContainText('Downtime');
  await page.screenshot({ path: join(shots, 'wizard-succeeded.png'), fullPage: true });

  for (const spec of IMAGES) {
    const b = sha256Of(lab, 'site-b', spec);
    expect(b, spec).toBe(sha256Of(lab, 'site-a', `${spec}.migrated`));
    expect(b, spec).toBe(before[spec]);
  }
});

test('migration wizard through the cloud: plan, confirmations, manual re-point in its terminal, a false "done" refused, restore, report, cloud checked @migration-lab', async ({
  page,
}) => {
  test.skip(noCloud !== undefined, `cloud journey skipped: ${noCloud ?? ''}`);
  // Mirror + switch-over + the services' restart + restore on 2 loaded cores: many minutes.
  test.setTimeout(2_400_000);
  const l = lab as LabJson;
  const sd = seed as CloudSeed;
  if (phase === 'migrated') {
    // migration.test.ts ran on this lab just before and left it migrated: put it back first.
    undoCloudMigration(l);
    expect(cloudPhase(l, sd), 'undo of the earlier migration').toBe('fresh');
  }
  rmSync(PWNED, { force: true });
  const params = cloudParamsOf(l, paramsOf(l));
  await unlock(page);

  // 1. The plan, with discovery: every command of both halves before anything runs.
  await page.locator('[data-nav="wizards"]').click();
  await page.getByTestId('wizard-params').fill(JSON.stringify(params, null, 2));
  await page.getByTestId('wizard-plan-discover').click();
  const view = page.getByTestId('wizards-view');
  await expect(page.getByTestId('plan-step').first()).toBeVisible({ timeout: 120_000 });
  await expect(view).toContainText('mirror pool demote images');
  await expect(view).toContainText('mirror pool promote vms');
  for (const s of sd.servers) await expect(view).toContainText(`server stop ${s.id}`);
  for (const v of sd.volumes) await expect(view).toContainText(v.id);
  await expect(view).toContainText('glance-api.conf');
  // The Glance location rewrite, its exact SQL in the plan (on the controller, through the lab's mariadb).
  await expect(view).toContainText('UPDATE image_locations SET value = REPLACE(value,');
  await expect(view).toContainText('type “site-a”');
  await page.screenshot({ path: join(shots, 'wizard-cloud-plan.png'), fullPage: true });

  // 2. Start; the destructive steps ask for the source's name; a wrong one is refused first.
  await page.getByTestId('wizard-start').click();
  const status = page.getByTestId('run-status');
  await expect(status).toHaveText('waiting-confirmation', { timeout: 900_000 });
  await expect(page.getByTestId('confirm-box')).toContainText('Demote');
  await confirmTyped(page, 'site-b', 'site-a');
  await expect(page.getByTestId('confirm-box')).toContainText('fence', { timeout: 900_000 });
  await page.getByTestId('confirm-input').fill('site-a');
  await page.getByTestId('confirm-button').click();

  // 3. The manual re-point: instructions, the terminal button with the lab's command typed in.
  await expect(status).toHaveText('waiting-manual', { timeout: 900_000 });
  const manual = page.getByTestId('manual-box');
  await expect(manual).toContainText('glance-api.conf');
  await expect(manual).toContainText('openstack.sh repoint site-b');
  await expect(page.getByTestId('manual-terminal')).toContainText('controller');
  await page.screenshot({ path: join(shots, 'wizard-cloud-manual.png'), fullPage: true });
  const runId = ((await page.locator('h2 .mono').first().textContent()) ?? '').trim();
  expect(runId).toMatch(/^[0-9TZ]+-/);

  // 4. "Done" before doing it: the wizard reads the services' confs, still site-a's, and refuses with the evidence.
  await page.getByTestId('manual-done').click();
  await expect(status).toHaveText('failed', { timeout: 120_000 });
  await expect(page.getByTestId('manual-refused')).toBeVisible();
  await expect(page.getByTestId('failure-evidence')).toContainText('NOT the destination');
  await expect(page.getByTestId('manual-done')).toContainText('verify again');
  await page.screenshot({ path: join(shots, 'wizard-cloud-refused.png'), fullPage: true });

  // 5. The operator re-points in the wizard's terminal on the controller: the command is typed in, not run.
  await page.getByTestId('manual-terminal').click();
  const pane = page.locator('[data-terminal-id]').last();
  await expect(pane).toBeVisible({ timeout: 30_000 });
  const termId = (await pane.getAttribute('data-terminal-id')) ?? '';
  // Long lines wrap in the terminal: match on the buffer with its line breaks taken out.
  const flat = async (): Promise<string> => (await terminalText(page, termId)).replace(/\n/g, '');
  await expect.poll(flat, { timeout: 30_000 }).toContain('openstack.sh repoint site-b');
  const t0 = Date.now();
  await pane.locator('.xterm').click();
  await page.keyboard.type('; echo "repoint exit=$?"\n');
  await expect.poll(flat, { timeout: 1_200_000, intervals: [2000] }).toMatch(/repoint exit=\d+/);
  const rc = /repoint exit=(\d+)/.exec(await flat())?.[1];
  console.log(`re-point in the wizard's terminal: ${Math.round((Date.now() - t0) / 1000)} s`);
  await page.screenshot({ path: join(shots, 'wizard-cloud-terminal.png'), fullPage: true });
  expect(rc, (await terminalText(page, termId)).slice(-3000)).toBe('0');

  // 6. Back to the run: done now; the verification passes and Restore finishes.
  await page.locator('[data-nav="wizards"]').click();
  await expect(page.getByTestId('manual-refused')).toBeVisible();
  await page.getByTestId('manual-done').click();
  await expect(status).toHaveText('succeeded', { timeout: 1_200_000 });
  await expect(page.getByTestId('run-downtime')).toContainText('Downtime');
  await page.screenshot({ path: join(shots, 'wizard-cloud-succeeded.png'), fullPage: true });

  // 7. The run's report: the refused "done", the decisions, the re-point evidence, the downtime.
  await page.getByRole('button', { name: 'Report', exact: true }).click();
  const report = page.getByTestId('run-report');
  await expect(report).toContainText('Downtime');
  await expect(report).toContainText('NOT the destination');
  await expect(report).toContainText('manual-done');
  await expect(report).toContainText('are the destination');
  await expect(report).toContainText('Glance API: no image names the source fsid');
  await report.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'wizard-cloud-report.png'), fullPage: true });

  // 8. Independently of the wizard: the cloud (openstack CLI on the controller), Ceph (local CLIs), the confs.
  const records = loadRun(join(home, 'runs'), runId);
  const sums = (reconstruct(records).facts as { srcChecksums?: Record<string, string> }).srcChecksums ?? {};
  const runner = await makeRunner(l, inventoryOf(l));
  try {
    const problems = await cloudMigratedProblems(
      l,
      sd,
      (argv) => runner.pool.run('controller', argv, { timeoutMs: 300_000 }),
      sums,
    );
    expect(problems).toEqual([]);
  } finally {
    await runner.close();
  }
  expect(existsSync(PWNED), 'a hostile name was run by a shell').toBe(false);
});
