// The PWA itself: installable (manifest, icons, service worker), and a new version waits for the pupil's go-ahead.
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { CHROMIUM, LAUNCH_ARGS } from '../playwright.config.ts';
import { signInAndInstall } from './pupil.ts';
import { type RunningServer, startServer } from './server.ts';

let server: RunningServer;
let clientDir: string;
test.beforeAll(async () => {
  // A copy of the built app that this spec can change, as a deployment of a new version would.
  clientDir = mkdtempSync(join(tmpdir(), 'cartable-client-'));
  cpSync('dist/client', clientDir, { recursive: true });
  server = await startServer({ CLIENT_DIR: clientDir });
});
test.afterAll(async () => {
  await server.dispose();
  rmSync(clientDir, { recursive: true, force: true });
});

test('Chromium finds the app installable, with a maskable icon', async ({ playwright }) => {
  // Playwright's usual contexts are incognito, where nothing installs: use a real (persistent) profile.
  const profile = mkdtempSync(join(tmpdir(), 'cartable-profile-'));
  const context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: LAUNCH_ARGS,
    locale: 'fr-FR',
    serviceWorkers: 'allow',
  });
  try {
    const page = await context.newPage();
    await signInAndInstall(page, server.url);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('the web app manifest names Cartable in French, with any and maskable PNG icons', async ({ page }) => {
  const manifest = await (await page.request.get(`${server.url}/manifest.webmanifest`)).json();
  expect(manifest).toMatchObject({ lang: 'fr', display: 'standalone', start_url: '/' });
  expect(manifest.icons.map((i: { purpose: string }) => i.purpose)).toContain('maskable');
  for (const icon of manifest.icons as { src: string }[]) {
    const res = await page.request.get(`${server.url}${icon.src}`);
    expect(res.headers()['content-type']).toBe('image/png');
  }
});

test('a new version waits, says "Nouvelle version disponible", and takes over when the pupil accepts', async ({
  page,
}) => {
  await signInAndInstall(page, server.url);
  await expect(page.getByText('Nouvelle version disponible')).toHaveCount(0);

  // Deploy a new version: the worker's bytes change.
  appendFileSync(join(clientDir, 'sw.js'), '\n// version 2\n');
  await page.evaluate(async () => {
    await (await navigator.serviceWorker.getRegistration())?.update();
  });
  await expect(page.getByText('Nouvelle version disponible')).toBeVisible();
  // Nothing took over by itself: the old worker still controls the page.
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting !== null)).toBe(
    true,
  );

  const reloaded = page.waitForEvent('load');
  await page.getByRole('button', { name: 'Mettre à jour' }).click();
  await reloaded;
  await expect(page.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
  await expect(page.getByText('Nouvelle version disponible')).toHaveCount(0);
  const state = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    return { waiting: reg?.waiting ?? null, controlled: navigator.serviceWorker.controller !== null };
  });
  expect(state).toEqual({ waiting: null, controlled: true });
});
