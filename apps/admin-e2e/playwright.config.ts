import { defineConfig, devices } from '@playwright/test';
import path from 'node:path';

/*
 * Browser tests of the admin console in Debian's Chromium (no Playwright browser
 * downloads here: `CHROMIUM_PATH`, default /usr/bin/chromium). The console runs from its
 * production build (`nx e2e admin-e2e` builds it first) with `next start` in apps/admin:
 * `nx run admin:start` would leave a next-server behind after the run.
 */
const workspaceRoot = path.resolve(__dirname, '..', '..');
const outputRoot = path.join(workspaceRoot, 'dist', '.playwright', 'apps', 'admin-e2e');
const port = Number(process.env.E2E_ADMIN_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './src',
  outputDir: path.join(outputRoot, 'test-output'),
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [
    ['list'],
    ['html', { outputFolder: path.join(outputRoot, 'report'), open: 'never' }],
  ],
  use: {
    baseURL,
    screenshot: 'on',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
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
  webServer: {
    command: `npx next start --port ${port}`,
    cwd: path.join(workspaceRoot, 'apps', 'admin'),
    url: `${baseURL}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: { NEXT_TELEMETRY_DISABLED: '1' },
  },
});
