/**
 * The Images view through the real renderer and the real local host, against the real lab with OpenStack
 * (SWITCHYARD_LAB_DIR): the image × store matrix, a copy to dcn0 started from the view (the images-copy wizard,
 * all_stores_must_succeed chosen explicitly), its progress bar with a real percentage while Glance copies (measured
 * in site-b's pool; checked against `rbd du` run independently), and the cell turning present
 * once Glance lists the store and the cluster holds the object. Uses one image it creates and deletes.
 */
import { expect, test } from '@playwright/test';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ImagesService } from '../../core/node/images/service';
import { labDir, openTopologyLab, type TopologyLab } from '../integration/support/topology-lab';
import { startLabConsoleHost } from './console-host';

const dir = labDir();
const PASS = 'images e2e passphrase';
const shots = join(process.cwd(), 'test-results', 'screenshots');
const tag = `swy-h8-e2e-${Date.now().toString(36)}`;
const FILE = `/tmp/${tag}.raw`;
let host: ChildProcess | null = null;
let url = '';
let lab: TopologyLab | null = null;
let svc: ImagesService | null = null;
let imageId = '';

test.describe.configure({ mode: 'serial' });
test.skip(!dir, 'no lab (SWITCHYARD_LAB_DIR)');

test.beforeAll(async () => {
  test.setTimeout(600_000);
  lab = await openTopologyLab(dir ?? '');
  const l = lab;
  svc = new ImagesService({ runner: l.pool, inventory: () => Promise.resolve(l.inventory) });
  // 512 MiB in central only: big enough that copy-image (download to staging, upload to dcn0) takes a while.
  const mk = await l.pool.run('controller', ['sh', '-c', 'head -c 536870912 /dev/urandom > "$1"', 'sh', FILE], {
    timeoutMs: 300_000,
  });
  expect(mk.exitCode, mk.stderr).toBe(0);
  const r = await svc.op(
    {
      op: 'create-import',
      name: tag,
      diskFormat: 'raw',
      containerFormat: 'bare',
      sourcePath: FILE,
      stores: ['central'],
      allStoresMustSucceed: true,
    },
    l.pool,
    l.inventory,
  );
  imageId = (r.result as { id: string }).id;
  expect(r.ok, r.message ?? '').toBe(true);
  for (let i = 0; i < 240; i++) {
    const all: Record<string, { image: { status: string | null; stores: string[] } | null }> = await svc
      .showImages([imageId], l.pool, l.inventory)
      .catch(() => ({}));
    const st = all[imageId];
    if (st?.image?.status === 'active' && st.image.stores.includes('central')) break;
    await new Promise((res) => setTimeout(res, 2000));
  }

  const ch = await startLabConsoleHost(l, { prefix: 'swy-h8-e2e-', passphrase: PASS, shots });
  host = ch.process;
  url = ch.url;
});

const l0 = (): TopologyLab => {
  if (!lab) throw new Error('lab not opened');
  return lab;
};

test.afterAll(async () => {
  test.setTimeout(300_000);
  host?.kill('SIGTERM');
  if (lab && svc) {
    if (imageId) await svc.op({ op: 'delete', id: imageId }, lab.pool, lab.inventory).catch(() => null);
    await lab.pool.run('controller', ['rm', '-f', FILE]).catch(() => null);
    lab.close();
  }
});

test('image matrix: copy to dcn0 from the view, progress bar per store, then present', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto(url);
  await page.locator('[data-nav="vault"]').click();
  await page.getByTestId('vault-passphrase').fill(PASS);
  await page.getByTestId('vault-unlock').click();
  await expect(page.getByTestId('secrets-table')).toContainText('lab-key');

  await page.locator('[data-nav="images"]').click();
  await expect(page.getByTestId('images-matrix')).toBeVisible({ timeout: 180_000 });
  await page.getByLabel('Filter images').fill(tag);
  const row = page.locator(`[data-image="${imageId}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('[data-store="central"]')).toHaveAttribute('data-state', 'present');
  await expect(row.locator('[data-store="dcn0"]')).toHaveAttribute('data-state', 'absent');
  await row.getByRole('checkbox').check();
  await page.getByLabel('target dcn0').check();
  // The copy button stays disabled until all_stores_must_succeed is chosen explicitly.
  await expect(page.getByRole('button', { name: 'Copy (copy-image)' })).toBeDisabled();
  await page.getByLabel('best effort').check();
  await page.getByRole('button', { name: 'Copy (copy-image)' }).click();

  const bar = row.locator('[data-store="dcn0"] [data-testid="copy-progress"]');
  await expect(bar).toBeVisible({ timeout: 30_000 });
  // Real progress: the view measures the RBD object Glance writes in site-b/images (rbd du), not Glance's task
  // message (rewritten every 300 s at most). Wait for a percent between 1 and 98 while it writes…
  const pct = async (): Promise<number> => Number((await bar.getAttribute('data-percent')) || -1);
  await expect.poll(pct, { timeout: 300_000, intervals: [500] }).toBeGreaterThan(0);
  const first = await pct();
  expect(first, 'first measured percent already at the end: the image is too small to see a copy').toBeLessThan(95);
  await expect(bar).toHaveAttribute('data-phase', 'writing');
  await expect(bar).toContainText(/\d+% · \d+ MiB \/ 512 MiB/);
  await expect(bar).toHaveAttribute('title', new RegExp(`measured in site-b/images/${imageId} \\(rbd du\\)`));
  await page.screenshot({ path: join(shots, 'images-copy-in-progress.png'), fullPage: true });
  // …independently, the object in site-b holds at least what the bar showed…
  const b = l0().lab.clusters.find((c) => c.name === 'site-b');
  const du = await l0().onSite('site-b', [
    'rbd',
    '--conf',
    b?.confPath ?? '',
    '--keyring',
    b?.keyringPath ?? '',
    'du',
    '--format',
    'json',
    `images/${imageId}`,
  ]);
  // Summed over the rows: once Glance has snapshotted, the data is counted on the snapshot row, the head shows 0.
  const used = (JSON.parse(du.stdout) as { images: { used_size?: number }[] }).images.reduce(
    (a, r) => a + (r.used_size ?? 0),
    0,
  );
  console.log(`bar ${first}%, rbd du right after: ${Math.round(used / 2 ** 20)} MiB of 512 MiB`);
  expect(used / 2 ** 29).toBeGreaterThanOrEqual(first / 100);
  // …and the bar moves on (or the copy ends and the cell turns present).
  const cell = row.locator('[data-store="dcn0"]');
  const next = async (): Promise<number> => ((await cell.getAttribute('data-state')) === 'present' ? 100 : pct());
  await expect.poll(next, { timeout: 300_000, intervals: [500] }).toBeGreaterThan(first);

  await expect(row.locator('[data-store="dcn0"]')).toHaveAttribute('data-state', 'present', { timeout: 480_000 });
  await expect(row.locator('[data-store="dcn0"]')).toContainText('rbd ✓', { timeout: 120_000 });
  // The run's status line follows the run to its end (its verify re-checks Glance and both clusters).
  await expect(page.getByText(/copy run \S+: succeeded/)).toBeVisible({ timeout: 180_000 });
  await page.screenshot({ path: join(shots, 'images-copy-done.png'), fullPage: true });
});
