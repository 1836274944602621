/**
 * Topology views through the real renderer and the real local host, against the real lab (SWITCHYARD_LAB_DIR):
 * the site map, the image table filtered down to a split-brained image, the Glance store matrix, the health panel.
 * Starts its own `switchyard serve` with a home whose vault holds the lab key. Skipped without a lab.
 */
import { expect, test } from '@playwright/test';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDir, openTopologyLab, type TopologyLab } from '../integration/support/topology-lab';
import { startLabConsoleHost } from './console-host';

const dir = labDir();
const PASS = 'topology e2e passphrase';
const shots = join(process.cwd(), 'test-results', 'screenshots');
let host: ChildProcess | null = null;
let url = '';
let lab: TopologyLab | null = null;
const tag = `swy-h5-e2e-${Date.now().toString(36)}`;

test.describe.configure({ mode: 'serial' });
test.skip(!dir, 'no lab (SWITCHYARD_LAB_DIR)');

async function rbd(site: string, ...args: string[]): Promise<void> {
  const c = lab?.lab.clusters.find((x) => x.name === site);
  if (!lab || !c) throw new Error(site);
  const r = await lab.onSite(site, ['rbd', '--conf', c.confPath, '--keyring', c.keyringPath, ...args]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
}

/**
 * The lab's seeded cloud, read independently of the console: seed.json for what was made, and the `openstack`
 * CLI with the lab's openrc for what Glance says now. null on a lab without OpenStack.
 */
function labCloud(d: string): {
  seed: { images: { id: string; name: string }[] };
  os: (...args: string[]) => Promise<Record<string, unknown>>;
} | null {
  const osPath = join(d, 'openstack.json');
  const seedPath = join(d, 'openstack', 'seed.json');
  if (!existsSync(osPath) || !existsSync(seedPath)) return null;
  const openrc = (JSON.parse(readFileSync(osPath, 'utf8')) as { client?: { openrc?: string } }).client?.openrc;
  if (!openrc) return null;
  const exec = promisify(execFile);
  return {
    seed: JSON.parse(readFileSync(seedPath, 'utf8')) as { images: { id: string; name: string }[] },
    os: async (...args) => {
      const r = await exec(
        'bash',
        ['-c', '. "$1" || exit 97; shift; exec "$@"', 'bash', openrc, 'openstack', ...args, '-f', 'json'],
        {
          timeout: 180_000,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      return JSON.parse(r.stdout) as Record<string, unknown>;
    },
  };
}

async function until(what: string, timeoutMs: number, f: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

async function rbdOut(site: string, ...args: string[]): Promise<string> {
  const c = lab?.lab.clusters.find((x) => x.name === site);
  if (!lab || !c) throw new Error(site);
  const r = await lab.onSite(site, ['rbd', '--conf', c.confPath, '--keyring', c.keyringPath, ...args]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return r.stdout;
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  lab = await openTopologyLab(dir ?? '');
  // A split-brained snapshot-mode image for the table to find.
  const img = `images/${tag}`;
  await rbd('site-a', 'create', '--size', '8M', img);
  await rbd('site-a', 'mirror', 'image', 'enable', img, 'snapshot');
  // Polled, not slept: on a freshly built lab under load the copy can take longer than any fixed wait.
  const state = async (site: string): Promise<{ state?: string; description?: string }> =>
    JSON.parse(await rbdOut(site, 'mirror', 'image', 'status', '--format', 'json', img).catch(() => '{}')) as {
      state?: string;
      description?: string;
    };
  await until(`${img} up+replaying on site-b`, 240_000, async () => (await state('site-b')).state === 'up+replaying');
  await rbd('site-b', 'mirror', 'image', 'promote', '--force', img);
  await rbd('site-a', 'mirror', 'image', 'demote', img);
  await until(`${img} split-brain on site-a`, 240_000, async () =>
    /split-brain/.test((await state('site-a')).description ?? ''),
  );

  const ch = await startLabConsoleHost(lab, { prefix: 'swy-h5-e2e-', passphrase: PASS, shots });
  host = ch.process;
  url = ch.url;
});

test.afterAll(async () => {
  host?.kill('SIGTERM');
  if (lab) {
    await rbd('site-a', 'mirror', 'image', 'resync', `images/${tag}`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 15_000));
    await rbd('site-b', 'mirror', 'image', 'disable', '--force', `images/${tag}`).catch(() => undefined);
    await rbd('site-b', 'rm', '--no-progress', `images/${tag}`).catch(() => undefined);
    await rbd('site-a', 'mirror', 'image', 'disable', '--force', `images/${tag}`).catch(() => undefined);
    await rbd('site-a', 'rm', '--no-progress', `images/${tag}`).catch(() => undefined);
    lab.close();
  }
});

test('site map, image table filtered to the split-brained image, store matrix, health panel', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(url);
  await page.locator('[data-nav="vault"]').click();
  await page.getByTestId('vault-passphrase').fill(PASS);
  await page.getByTestId('vault-unlock').click();
  await expect(page.getByTestId('secrets-table')).toContainText('lab-key');

  await page.locator('[data-nav="topology"]').click();
  await expect(page.getByTestId('site-map')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('node-cluster:site-a')).toBeVisible();
  await expect(page.getByTestId('node-cluster:site-b')).toBeVisible();
  await expect(page.getByTestId('site-site-a')).toContainText('reachable');
  await page.screenshot({ path: join(shots, 'topology-site-map.png'), fullPage: true });

  await page.getByTestId('tab-images').click();
  const t0 = Date.now();
  await expect(page.getByTestId('image-row').first()).toBeVisible();
  const firstRender = Date.now() - t0;
  const t1 = Date.now();
  await page.getByTestId('image-search').fill(tag);
  await expect(page.getByTestId('image-count')).toContainText('1 of');
  const filterMs = Date.now() - t1;
  await page.getByTestId('image-health').selectOption('error');
  await expect(page.getByTestId('image-row')).toHaveCount(1);
  await page.getByTestId('image-row').first().click();
  await expect(page.getByTestId('image-detail')).toContainText('split-brain', { timeout: 60_000 });
  await expect(page.getByTestId('side-site-a')).toBeVisible();
  await expect(page.getByTestId('side-site-b')).toBeVisible();
  await page.screenshot({ path: join(shots, 'topology-split-brain-image.png'), fullPage: true });
  console.log(`table first render ${firstRender} ms, filter ${filterMs} ms (includes Playwright polling)`);

  await page.getByTestId('tab-glance').click();
  const cloud = labCloud(dir ?? '');
  if (!cloud) {
    console.log('store matrix cells: not checked, this lab has no OpenStack (SWITCHYARD_LAB_NO_OPENSTACK)');
    // No controller: the store columns from the inventory, and no Glance image to show in them.
    await expect(page.getByTestId('glance-matrix')).toContainText('0 of 0 images');
    await expect(page.getByTestId('matrix-row')).toHaveCount(0);
  } else {
    await expect(page.getByTestId('glance-matrix')).toBeVisible();
    // Each seeded image's row, each RBD store's cell, against what Glance and the store's pool say themselves.
    const stores: [string, string][] = [
      ['central', 'site-a'],
      ['dcn0', 'site-b'],
    ];
    const inPool = new Map<string, string[]>();
    for (const [, site] of stores)
      inPool.set(site, JSON.parse(await rbdOut(site, 'ls', 'images', '--format', 'json')) as string[]);
    for (const img of cloud.seed.images) {
      const shown = await cloud.os('image', 'show', img.id);
      const props = (shown['properties'] ?? {}) as Record<string, unknown>;
      const listed = String(props['stores'] ?? shown['stores'] ?? '').split(',');
      const row = page.locator(`[data-testid="matrix-row"][data-image-id="${img.id}"]`);
      await expect(row).toContainText(img.name);
      for (const [store, site] of stores) {
        const onRbd = inPool.get(site)?.includes(img.id) ?? false;
        const want = listed.includes(store) ? (onRbd ? '✓ (rbd ✓)' : 'listed, data missing') : onRbd ? 'rbd only' : '–';
        await expect(row.locator(`[data-testid="matrix-cell"][data-store="${store}"]`)).toHaveText(want);
      }
    }
  }
  await page.screenshot({ path: join(shots, 'topology-glance-matrix.png'), fullPage: true });

  await page.getByTestId('tab-health').click();
  await expect(page.getByTestId('rule-split-brain')).toBeVisible();
  // Both rbd-mirror daemons run: the live summary refresh (every 5 s) must not report them missing.
  await page.waitForTimeout(6_000);
  await expect(page.getByTestId('rule-daemon-missing')).toHaveCount(0);
  await page.getByTestId('rule-split-brain').getByTestId('finding').first().locator('.line').click();
  await expect(page.getByTestId('evidence').first()).toContainText('split-brain');
  await expect(page.getByTestId('open-terminal').first()).toBeVisible();
  await page.screenshot({ path: join(shots, 'topology-health.png'), fullPage: true });

  // Lag / RPO over time: the history grows with every refresh, one series per mirrored pool side.
  await page.getByTestId('tab-lag').click();
  await expect(page.getByTestId('lag-chart').locator('canvas')).toBeVisible({ timeout: 30_000 });
  // …and the background full scan (every ≥ 60 s) adds points without anyone pressing "Full discovery".
  const scanAt = page.getByTestId('topology-full-scan-at');
  const firstScan = await scanAt.textContent();
  await expect(scanAt).not.toHaveText(firstScan ?? '', { timeout: 120_000 });
  await page.waitForTimeout(1_000);
  await page.screenshot({ path: join(shots, 'topology-lag.png'), fullPage: true });
});
