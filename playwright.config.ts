import { defineConfig } from '@playwright/test';

/** Debian's Chromium (apt-get install chromium); scripts/ensure-chromium.mjs installs it when missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Without the background-networking flags Chromium floods a closed network with connections. */
export const LAUNCH_ARGS = [
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--no-sandbox',
];

export default defineConfig({
  testDir: 'e2e',
  // Each spec starts and stops its own real server; two cores: one worker.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    serviceWorkers: 'allow',
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    launchOptions: {
      executablePath: CHROMIUM,
      args: LAUNCH_ARGS,
    },
    trace: 'off',
  },
});
