import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { E2eState } from './global-setup';

declare global {
  interface Window {
    __switchyardTerminals?: {
      ids(): string[];
      text(id: string): string[];
      rendered(id: string): number;
      received(id: string): number;
      renderer(id: string): string;
    };
  }
}

const state = JSON.parse(readFileSync(process.env.SWITCHYARD_E2E_STATE ?? '', 'utf8')) as E2eState;
const HOST_ID = 'e2e-mon1';

async function terminalText(page: Page, id: string): Promise<string> {
  return page.evaluate((tid) => window.__switchyardTerminals?.text(tid).join('\n') ?? '', id);
}

test.describe.configure({ mode: 'serial' });

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
  await page.screenshot({ path: join(state.screenshots, 'foundation-vault.png') });

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

  // 6. End the session, run a connection test (an audited command), and find both in the audit view.
  await page.keyboard.type('exit\n');
  await expect(page.locator('.tab.ended')).toBeVisible();
  await page.locator('[data-nav="inventory"]').click();
  await page.locator(`tr[data-host="${HOST_ID}"]`).getByRole('button', { name: 'test' }).click();
  await expect(page.getByTestId(`test-${HOST_ID}`)).toContainText(/ok, \d+ ms/);
  await page.locator('[data-nav="audit"]').click();
  const audit = page.getByTestId('audit-table');
  const session = audit.locator('tr', { hasText: HOST_ID }).filter({ hasText: '(interactive shell)' }).first();
  await expect(session).toBeVisible();
  await expect(session).toContainText('terminal');
  const probe = audit
    .locator('tr', { hasText: HOST_ID })
    .filter({ has: page.locator('td.argv', { hasText: /^true$/ }) })
    .first();
  await expect(probe).toBeVisible();
  await expect(probe.locator('td').nth(3)).toHaveText('0');
  // Filters: text narrows to the probe, failed-only finds nothing (everything exited 0).
  await page.getByTestId('audit-text').fill('true');
  await expect(session).toBeHidden();
  await expect(probe).toBeVisible();
  await page.getByTestId('audit-text').fill('');
  await page.getByTestId('audit-failed').check();
  await expect(audit).toContainText('No commands match.');
  await page.getByTestId('audit-failed').uncheck();
  await expect(session).toBeVisible();
  await page.screenshot({ path: join(state.screenshots, 'foundation-audit.png') });

  await page.locator('[data-nav="inventory"]').click();
  await expect(page.getByTestId('hosts-table')).toContainText(HOST_ID);
  await page.screenshot({ path: join(state.screenshots, 'foundation-inventory.png'), fullPage: true });
  expect(consoleErrors.filter((e) => !e.includes('WebGL'))).toEqual([]);
});

test('a changed host key is refused loudly, with no way to accept it', async ({ page }) => {
  await page.goto(state.url);
  await expect(page.getByText('● connected')).toBeVisible();
  // Lock the vault; a wrong passphrase is refused with a clear message, the right one opens it again.
  await page.locator('[data-nav="vault"]').click();
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByTestId('vault-passphrase').fill('not the passphrase');
  await page.getByTestId('vault-unlock').click();
  await expect(page.getByTestId('vault-error')).toContainText(/passphrase/i);
  await page.screenshot({ path: join(state.screenshots, 'foundation-vault-wrong-passphrase.png') });
  await page.getByTestId('vault-passphrase').fill('correct horse battery staple');
  await page.getByTestId('vault-unlock').click();
  await expect(page.getByTestId('secrets-table')).toContainText('e2e operator key');
  // Import ~/.ssh/known_hosts (it pins a different key for the second host) and ~/.ssh/config.
  await page.locator('[data-nav="known-hosts"]').click();
  await page.getByRole('button', { name: 'Import ~/.ssh/known_hosts' }).click();
  await expect(page.getByText(/imported 1 key/)).toBeVisible();
  await page.locator('[data-nav="inventory"]').click();
  await page.getByRole('button', { name: 'Hosts from ~/.ssh/config' }).click();
  await expect(page.locator('tr', { hasText: 'e2e-bastion' })).toContainText(
    `root@${state.sshAddress}:${state.sshPort}`,
  );
  await expect(page.locator('tr', { hasText: 'e2e-changed' })).toBeVisible();
  // The imported entry would authenticate with an IdentityFile path or the agent; add it with the vault key instead.
  await page.getByTestId('host-id').fill('e2e-changed');
  await page.getByTestId('host-address').fill(state.changedAddress);
  await page.getByTestId('host-port').fill(String(state.sshPort));
  await page.getByTestId('host-user').fill(state.sshUser);
  await page.getByTestId('host-secret').selectOption({ label: 'e2e operator key' });
  await page.getByTestId('host-add').click();
  const row = page.locator('tr[data-host="e2e-changed"]');
  await expect(row).toContainText(`${state.changedAddress}:${state.sshPort}`);

  await row.getByRole('button', { name: 'terminal' }).click();
  const refusal = page.getByRole('alertdialog');
  await expect(refusal).toBeVisible();
  await expect(refusal).toContainText('HOST KEY CHANGED');
  await expect(refusal).toContainText(state.changedFingerprint);
  await expect(refusal.getByRole('button', { name: /accept/i })).toHaveCount(0);
  await expect(page.getByTestId('hostkey-dialog')).toHaveCount(0);
  await page.screenshot({ path: join(state.screenshots, 'foundation-hostkey-changed.png') });
  await refusal.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('terminal-error')).toContainText(/different|changed/i);
  await expect(page.locator('[data-terminal-id]')).toHaveCount(0);
});
