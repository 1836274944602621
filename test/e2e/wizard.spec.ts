/**
 * The migration wizard through the real renderer and the real local host, against the lab in its `migration`
 * profile (SWITCHYARD_LAB_DIR): plan preview, start, a wrong typed name refused, the right one accepted, live
 * progress, run succeeded with the measured downtime; then the lab's data checked with the local Ceph CLIs.
 * Skipped without a migration-profile lab.
 */
import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KnownHostsStore } from '../../core/node/ssh/known-hosts';
import { Vault } from '../../core/node/vault/vault';
import {
  IMAGES,
  inventoryOf,
  inventoryYaml,
  paramsOf,
  readLab,
  resetAndSeed,
  sha256Of,
} from '../integration/support/migration-lab';

const lab = readLab();
const PASS = 'wizard e2e passphrase';
const shots = join(process.cwd(), 'test-results', 'screenshots');
let host: ChildProcess | null = null;
let url = '';

test.describe.configure({ mode: 'serial' });
test.skip(lab?.profile !== 'migration', 'no migration-profile lab (SWITCHYARD_LAB_DIR)');

test.beforeAll(async () => {
  test.setTimeout(120_000);
  if (!lab) return;
  resetAndSeed(lab);
  const home = mkdtempSync(join(tmpdir(), 'swy-h6-e2e-'));
  const vault = new Vault({ path: join(home, 'vault.json') });
  await vault.init({ passphrase: PASS });
  await vault.add({
    kind: 'ssh-key',
    label: 'lab-key',
    value: readFileSync(lab.hosts[0]?.privateKeyPath ?? '', 'utf8'),
  });
  await vault.lock();
  writeFileSync(join(home, 'inventory.yaml'), inventoryYaml(inventoryOf(lab)));
  const kh = new KnownHostsStore(join(home, 'known_hosts.json'), {
    candidates: () => Promise.resolve(lab.hosts.map((h) => ({ host: h.address, port: h.port }))),
  });
  await kh.importKnownHosts(lab.knownHostsPath);
  mkdirSync(shots, { recursive: true });
  host = spawn(process.execPath, ['bin/switchyard.mjs', 'serve', '--json', '--home', home], {
    env: { ...process.env, SWITCHYARD_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not start')), 30_000);
    createInterface({ input: host?.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
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
  await page.goto(url);
  await page.locator('[data-nav="vault"]').click();
  await page.getByTestId('vault-passphrase').fill(PASS);
  await page.getByTestId('vault-unlock').click();
  await expect(page.getByTestId('secrets-table')).toContainText('lab-key');

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
  await page.getByTestId('confirm-input').fill('site-b');
  await page.getByTestId('confirm-button').click();
  await expect(page.locator('[role=alert]')).toContainText('refused');
  await expect(status).toHaveText('waiting-confirmation');
  await page.getByTestId('confirm-input').fill('site-a');
  await page.getByTestId('confirm-button').click();
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
