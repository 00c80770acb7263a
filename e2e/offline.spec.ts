// The first promise: a week opened once opens again with no network and no server.
import { expect, test } from '@playwright/test';
import { DEMO_LESSONS, openEverything, signInAndInstall } from './pupil.ts';
import { type RunningServer, startServer } from './server.ts';

let server: RunningServer;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server.dispose();
});

test('the week opens with the network cut (context offline)', async ({ page, context }) => {
  await signInAndInstall(page, server.url);
  await context.setOffline(true);
  await openEverything(page);
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
  // Asked to look for news, the device finds no network and says so, without losing the week.
  await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
  await expect(page.getByText('Hors ligne : voici la semaine enregistrée sur cet appareil.')).toBeVisible();
  await expect(page.getByRole('link', { name: DEMO_LESSONS[0]?.title ?? '' })).toBeVisible();
});

test('the week opens with the server down (real outage)', async ({ page }) => {
  await signInAndInstall(page, server.url);
  await server.stop();
  try {
    await openEverything(page);
    await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
    await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
    await expect(page.getByText('Hors ligne : voici la semaine enregistrée sur cet appareil.')).toBeVisible();
  } finally {
    await server.start();
  }
});

test('after the outage the page checks again and the week is still the same', async ({ page }) => {
  await signInAndInstall(page, server.url);
  await page.reload();
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
  await expect(page.getByRole('link', { name: /le cycle de l’eau/ })).toBeVisible();
});
