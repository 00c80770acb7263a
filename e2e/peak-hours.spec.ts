// Homework written during the server's announced peak hour waits on the device, says when it will leave, and
// arrives at that time without the pupil doing anything.
import { expect, test } from '@playwright/test';
import { signInAndInstall } from './pupil.ts';
import { storedSubmissions } from './server-db.ts';
import { type RunningServer, startServer } from './server.ts';

let server: RunningServer | undefined;
test.afterEach(async () => server?.dispose());

const parisClock = (ms: number) =>
  new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Paris' })
    .format(ms)
    .replace(/\s/g, '');

test('homework handed in during the peak hour leaves after it, at the time the pupil was told', async ({ page }) => {
  const now = Date.now();
  const start = parisClock(now - 60_000);
  const end = parisClock(now + 4 * 60_000);
  test.skip(start >= end, 'a peak around now would cross midnight in Paris');
  // Nearly none admitted at once: this pupil's homework waits for the minute after the peak.
  server = await startServer({ SEND_PEAKS: `${start}-${end}/0.000001/60`, SEND_PEAK_DAYS: '1-7' });
  await page.clock.install({ time: now });
  await signInAndInstall(page, server.url);

  await page.getByRole('link', { name: /Rendre ce devoir : Rédaction/ }).click();
  await page.getByLabel('Ta réponse').fill('Écrit à l’heure de pointe.');
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(
    page.getByText(
      /Le serveur est très demandé à cette heure : ton devoir partira automatiquement vers \d{1,2} h \d\d\./,
    ),
  ).toBeVisible();
  await page.getByRole('link', { name: /Mes envois/ }).click();
  await expect(
    page.getByText(/^Heure de pointe sur le serveur : partira automatiquement vers \d{1,2} h \d\d$/),
  ).toBeVisible();

  const notBefore = await page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('cartable');
        open.addEventListener('error', () => reject(open.error));
        open.addEventListener('success', () => {
          const all = open.result.transaction('outbox').objectStore('outbox').getAll();
          all.addEventListener('success', () => resolve((all.result[0] as { notBefore: number }).notBefore));
          all.addEventListener('error', () => reject(all.error));
        });
      }),
  );
  expect(notBefore).toBeGreaterThan(now);
  await page.waitForTimeout(2_000);
  expect(storedSubmissions(server.dataDir)).toHaveLength(0);

  // The peak passes: the device's own wake-up sends it.
  await page.clock.fastForward(notBefore - Date.now() + 1_000);
  await expect.poll(() => storedSubmissions(server?.dataDir ?? '').length, { timeout: 20_000 }).toBe(1);
  await expect(page.getByText(/^Reçu par le serveur le/)).toBeVisible();
});
