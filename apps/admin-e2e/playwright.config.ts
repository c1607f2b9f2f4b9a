import { defineConfig, devices } from '@playwright/test';
import path from 'node:path';

/*
 * Browser tests of the admin console in Debian's Chromium (no Playwright browser downloads
 * here: `CHROMIUM_PATH`, default /usr/bin/chromium). The global setup starts the whole system
 * once (src/support/stack-host.ts): its own Postgres database and Redis prefix, the BUILT api
 * and worker as real processes, and the console's production build with `next start`, given
 * the api's random port at run time. `nx e2e admin-e2e` builds all three first.
 *
 * One worker, files in order: the tests share that one system (one worker process, one
 * queue prefix), and the dashboard screenshot is taken last, once the others made traffic.
 */
const workspaceRoot = path.resolve(__dirname, '..', '..');
const outputRoot = path.join(workspaceRoot, 'dist', '.playwright', 'apps', 'admin-e2e');

export default defineConfig({
  testDir: './src',
  outputDir: path.join(outputRoot, 'test-output'),
  globalSetup: './src/support/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { outputFolder: path.join(outputRoot, 'report'), open: 'never' }]],
  use: {
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    viewport: { width: 1366, height: 900 },
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1366, height: 900 },
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-quic',
            '--no-first-run',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
