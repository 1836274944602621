import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { E2eState } from './global-setup';

declare global {
  interface Window {
    __switchyardTerminals?: { ids(): string[]; text(id: string): string[]; rendered(id: string): number; renderer(id: string): string };
  }
}

const state = JSON.parse(readFileSync(process.env.SWITCHYARD_E2E_STATE ?? '', 'utf8')) as E2eState;
const HOST_ID = 'e2e-mon1';

async function terminalText(page: Page, id: string): Promise<string> {
  return page.evaluate((tid) => window.__switchyardTerminals?.text(tid).join('\n') ?? '', id);
}

test('operator journey: vault, key, site, host, host key, SSH terminal, audit', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.goto(state.url);
  // The token leaves the address bar as soon as the client has it.
  await expect.poll(() => page.url()).not.toContain('token=');
  await expect(page.getByText('● connected')).toBeVisible();

  // 1. Create the vault; a too-short passphrase is refused with a clear message first.
  await page.getByTestId('vault-passphrase').fill('short');
  await page.getByTestId('vault-confirm').fill('short');
  await page.getByTestId('vault-create').click();
  await expect(page.getByText('Use at least 8 characters')).toBeVisible();
  const passphrase = 'correct horse battery staple';
  await page.getByTestId('vault-passphrase').fill(passphrase);
  await page.getByTestId('vault-confirm').fill(passphrase);
  await page.getByTestId('vault-create').click();
  await expect(page.getByText('unlocked', { exact: true })).toBeVisible({ timeout: 20_000 });

  // 2. Add the SSH key as a secret; the table shows metadata, never the key.
  const privateKey = readFileSync(state.clientKeyPath, 'utf8');
  await page.getByTestId('secret-kind').selectOption('ssh-key');
  await page.getByTestId('secret-label').fill('e2e operator key');
  await page.getByTestId('secret-value').fill(privateKey);
  await page.getByTestId('secret-add').click();
  const secrets = page.getByTestId('secrets-table');
  await expect(secrets).toContainText('e2e operator key');
  await expect(secrets).toContainText('SHA256:');
  await expect(page.locator('body')).not.toContainText('BEGIN OPENSSH PRIVATE KEY');

  // 3. Add a site and a host in the inventory editor.
  await page.locator('[data-nav="inventory"]').click();
  await page.getByTestId('site-name').fill('site-e2e');
  await page.getByTestId('site-role').selectOption('primary');
  await page.getByTestId('site-add').click();
  await expect(page.getByText('site-e2e (primary)')).toBeVisible();
  await page.getByTestId('host-id').fill(HOST_ID);
  await page.getByTestId('host-site').selectOption('site-e2e');
  await page.getByTestId('host-address').fill(state.sshAddress);
  await page.getByTestId('host-port').fill(String(state.sshPort));
  await page.getByTestId('host-user').fill(state.sshUser);
  await page.getByTestId('host-auth').selectOption('key');
  await page.getByTestId('host-secret').selectOption({ label: 'e2e operator key' });
  await page.getByTestId('host-add').click();
  await expect(page.getByTestId('hosts-table')).toContainText(HOST_ID);
  await expect(page.getByTestId('inventory-text')).toHaveValue(/site-e2e/);

  // A malformed edit is named by line and field, and nothing is saved.
  await page.getByTestId('inventory-text').fill('version: 1\nsites:\n  - name: bad site\n    role: primary\n');
  await expect(page.getByTestId('inventory-problems')).toContainText(/:3/);
  await expect(page.getByTestId('inventory-problems')).toContainText('name');
  await page.reload();
  await page.locator('[data-nav="inventory"]').click();
  await expect(page.getByTestId('hosts-table')).toContainText(HOST_ID);

  // 4. Open a terminal: the unknown host key is shown with its fingerprint, and accepted.
  await page.getByTestId(`terminal-${HOST_ID}`).click();
  const dialog = page.getByTestId('hostkey-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('hostkey-host')).toHaveText(state.sshAddress);
  await expect(page.getByTestId('hostkey-port')).toHaveText(String(state.sshPort));
  await expect(page.getByTestId('hostkey-type')).toHaveText('ssh-ed25519');
  await expect(page.getByTestId('hostkey-fingerprint')).toHaveText(state.hostKeyFingerprint);
  await page.screenshot({ path: join(state.screenshots, 'foundation-hostkey.png') });
  await dialog.getByRole('button', { name: 'Accept and remember' }).click();

  // 5. Type a command into xterm and read the output back from its buffer.
  const pane = page.locator('[data-terminal-id]').first();
  await expect(pane).toBeVisible();
  const termId = (await pane.getAttribute('data-terminal-id')) ?? '';
  await expect.poll(() => terminalText(page, termId), { timeout: 15_000 }).toMatch(/[#$] ?$/m);
  await pane.locator('.xterm').click();
  await page.keyboard.type('echo "switchyard-$((6*7))" && uname -n\n');
  await expect.poll(() => terminalText(page, termId)).toContain('switchyard-42');
  await page.screenshot({ path: join(state.screenshots, 'foundation-terminal.png') });

  // 6. End the session; the audit view lists it with host, exit code and the output tail.
  await page.keyboard.type('exit\n');
  await expect(page.locator('.tab.ended')).toBeVisible();
  await page.locator('[data-nav="audit"]').click();
  const audit = page.getByTestId('audit-table');
  const row = audit.locator('tr', { hasText: HOST_ID }).filter({ hasText: '(interactive shell)' }).first();
  await expect(row).toBeVisible();
  await expect(row).toContainText('0');
  await row.click();
  await expect(audit).toContainText('switchyard-42');
  // The filter narrows by text.
  await page.getByTestId('audit-text').fill('no-such-command-xyz');
  await expect(audit).toContainText('No commands match.');
  await page.getByTestId('audit-text').fill('');
  await expect(row).toBeVisible();
  await page.screenshot({ path: join(state.screenshots, 'foundation-audit.png'), fullPage: true });

  await page.locator('[data-nav="inventory"]').click();
  await expect(page.getByTestId('hosts-table')).toContainText(HOST_ID);
  await page.screenshot({ path: join(state.screenshots, 'foundation-inventory.png'), fullPage: true });
  expect(consoleErrors.filter((e) => !e.includes('WebGL'))).toEqual([]);
});
