// Homework handed in with no network waits, when the network returns, for this device's own moment to send (so a
// school whose network returns at once does not reconnect at once), says when, and arrives then by itself.
// The service worker is blocked here: its Background Sync drain runs on the real clock while the page runs on
// page.clock, and this spec is about the page's own trigger (the `online` event); the worker's drain takes the same
// decision in the same code (src/sync/outbox.ts).
import { mkdirSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { LEA } from './pupil.ts';
import { storedSubmissions } from './server-db.ts';
import { type RunningServer, startServer } from './server.ts';

test.use({ serviceWorkers: 'block' });

let server: RunningServer | undefined;
test.afterEach(async () => server?.dispose());

/** The device's backoff record, as the sync core keeps it in IndexedDB. */
const backoff = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ nextAttemptAt: number; lastError?: string }>((resolve, reject) => {
        const open = indexedDB.open('cartable');
        open.addEventListener('error', () => reject(open.error));
        open.addEventListener('success', () => {
          const get = open.result.transaction('syncState').objectStore('syncState').get('server-backoff');
          get.addEventListener('success', () => resolve(get.result as never));
          get.addEventListener('error', () => reject(get.error));
        });
      }),
  );

test('homework written offline leaves at the device’s own moment once the network returns, as the page says', async ({
  page,
  context,
}) => {
  server = await startServer();
  await page.clock.install({ time: Date.now() });
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant').fill(LEA.username);
  await page.getByLabel('Code secret').fill(LEA.secret);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();

  // The network goes (the assignment's screen already open: without a service worker the page cannot load a screen
  // it never loaded): the homework is written and kept on the device.
  await page.getByRole('link', { name: /Rendre ce devoir : Rédaction/ }).click();
  await expect(page.getByLabel('Ta réponse')).toBeVisible();
  await context.setOffline(true);
  await page.getByLabel('Ta réponse').fill('Écrit sans réseau, envoyé plus tard.');
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(
    page.getByText('Enregistré sur cet appareil. Ton devoir partira dès que le serveur répondra.'),
  ).toBeVisible();
  await page.getByRole('link', { name: /Mes envois/ }).click();

  // Twenty minutes later the network returns: the `online` event wakes the app, and nothing leaves at once.
  await page.clock.fastForward(20 * 60_000);
  await context.setOffline(false);
  const said = page.getByText(
    /^De retour en ligne — pour que tout le monde ne se reconnecte pas en même temps, ton devoir partira automatiquement vers \d{1,2} h \d\d\.$/,
  );
  await expect(said).toBeVisible();
  const slot = await backoff(page);
  expect(slot.lastError).toBe('rejoin');
  const wait = slot.nextAttemptAt - (await page.evaluate(() => Date.now()));
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(5 * 60_000);
  await page.waitForTimeout(2_000);
  expect(storedSubmissions(server.dataDir)).toHaveLength(0);

  // Looked at on a desk and a phone, in French and in English.
  const dir = process.env.SCREENSHOTS ? 'docs/screenshots' : test.info().outputPath('');
  mkdirSync(dir, { recursive: true });
  const shoot = async (lang: 'fr' | 'en') => {
    for (const [name, size] of [
      ['desk', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      await page.setViewportSize(size);
      await page.screenshot({ path: `${dir}/rejoin-${name}-${lang}.png`, fullPage: true });
    }
  };
  await shoot('fr');
  await page.getByRole('button', { name: 'Switch to English' }).click();
  await expect(page.getByText(/^Back online — so that everyone does not reconnect at the same moment/)).toBeVisible();
  await shoot('en');

  // Its moment comes: the runner's own wake-up sends it, exactly once.
  await page.clock.fastForward(wait + 1_000);
  await expect.poll(() => storedSubmissions(server?.dataDir ?? '').length, { timeout: 20_000 }).toBe(1);
  await expect(page.getByText(/^Received by the server on/)).toBeVisible();
});
