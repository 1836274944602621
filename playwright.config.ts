import { defineConfig } from '@playwright/test';

/**
 * Browser journeys through the real renderer, served by the real local host (`switchyard serve`), in Debian's
 * chromium (Playwright's own browser download cannot reach its CDN here). test/e2e/global-setup.ts builds the
 * app, starts an OpenSSH server on 127.14.0.x and the host with a temporary SWITCHYARD_HOME.
 */
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './test/e2e/global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  outputDir: 'test-results/e2e-artifacts',
  reporter: [['list']],
  use: {
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
