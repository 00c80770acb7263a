// Homework written offline reaches the server exactly once, through reloads, a browser restart and a real outage.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type BrowserType, expect, type Page, test } from '@playwright/test';
import { CHROMIUM, LAUNCH_ARGS } from '../playwright.config.ts';
import { encodePng } from '../src/server/seed/media.ts';
import { signInAndInstall } from './pupil.ts';
import { storedSubmissions, storedUploads } from './server-db.ts';
import { type RunningServer, startServer } from './server.ts';

test.setTimeout(150_000);

let server: RunningServer;
let profile: string;
test.beforeEach(async () => {
  server = await startServer();
  profile = mkdtempSync(join(tmpdir(), 'cartable-profile-'));
});
test.afterEach(async () => {
  await server.dispose();
  rmSync(profile, { recursive: true, force: true });
});

/** A browser with a real profile on disk, so closing and reopening it keeps IndexedDB, as on a pupil's tablet. */
async function openBrowser(playwright: { chromium: BrowserType }): Promise<BrowserContext> {
  return playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: LAUNCH_ARGS,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    serviceWorkers: 'allow',
  });
}

async function handIn(
  page: Page,
  assignment: RegExp,
  text: string,
  file?: { name: string; mimeType: string; buffer: Buffer },
) {
  await page.getByRole('link', { name: 'Cette semaine' }).first().click();
  // Once something was handed in, the card's link says so ("Modifier ou renvoyer").
  const link = new RegExp(assignment.source.replace('Rendre ce devoir', '(?:Rendre ce devoir|Modifier ou renvoyer)'));
  await page.getByRole('link', { name: link }).click();
  await page.getByLabel('Ta réponse').fill(text);
  if (file) {
    await page.getByLabel('Ajouter des fichiers (photos, PDF)').setInputFiles(file);
    await expect(page.getByText(file.name)).toBeVisible();
  }
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(page.getByText('Enregistré sur cet appareil.')).toBeVisible();
  await expect(page.getByLabel('Ta réponse')).toHaveValue('');
}

// A real PNG of noise (about 300 kB: noise does not compress): homework uploads are sniffed, like lesson files.
const photo = {
  name: 'cahier-page-12.png',
  mimeType: 'image/png',
  buffer: encodePng(275, 275, () => [...randomBytes(3), 255] as [number, number, number, number]),
};
const pdf = {
  name: 'exercices.pdf',
  mimeType: 'application/pdf',
  buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(50_000)]),
};

test('three homeworks written offline arrive exactly once after a reload, a browser restart and an outage', async ({
  playwright,
}) => {
  let context = await openBrowser(playwright);
  let page = context.pages()[0] ?? (await context.newPage());
  await signInAndInstall(page, server.url);

  await context.setOffline(true);
  await handIn(
    page,
    /Rendre ce devoir : Exercices sur les fractions/,
    'Exercice 1 : j’ai colorié 3 carreaux sur 4.',
    photo,
  );
  await handIn(page, /Rendre ce devoir : Exercices sur les fractions/, 'Exercices 2 et 3 sur la fiche jointe.', pdf);
  await handIn(page, /Rendre ce devoir : Rédaction/, 'La goutte d’eau quitte la mer et monte vers le nuage…');

  await page.reload();
  await page.getByRole('link', { name: /Mes envois/ }).click();
  await expect(page.getByText('3 devoirs en attente d’envoi')).toBeVisible();
  await expect(page.getByText('En attente d’envoi', { exact: true })).toHaveCount(3);

  // Close the browser, take the server down, and reopen: the network is back but the server is not.
  await context.close();
  await server.stop();
  context = await openBrowser(playwright);
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.url}/envois`);
  await expect(page.getByText('3 devoirs en attente d’envoi')).toBeVisible();
  await page.waitForTimeout(3_000);
  await expect(page.getByText('En attente d’envoi', { exact: true })).toHaveCount(3);

  await server.start();
  await expect(page.getByText(/^Reçu par le serveur le/)).toHaveCount(3, { timeout: 90_000 });
  await expect(page.getByText('Rien en attente')).toBeVisible();

  const stored = storedSubmissions(server.dataDir);
  expect(stored.map((s) => s.text).sort()).toEqual([
    'Exercice 1 : j’ai colorié 3 carreaux sur 4.',
    'Exercices 2 et 3 sur la fiche jointe.',
    'La goutte d’eau quitte la mer et monte vers le nuage…',
  ]);
  expect(
    storedUploads(server.dataDir)
      .map((u) => u.size)
      .sort((a, b) => a - b),
  ).toEqual([pdf.buffer.byteLength, photo.buffer.byteLength]);
  await context.close();

  // The teacher sees both homeworks of Léa for the fractions, with both times, and gets the photo back intact.
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  try {
    const teacher = await browser.newPage({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    await signInAndInstall(teacher, server.url, { username: 'mme.martin', secret: 'tableau-noir' });
    await teacher.getByRole('link', { name: /Voir les devoirs rendus : Exercices sur les fractions/ }).click();
    await expect(
      teacher.getByRole('heading', { level: 1, name: 'Devoirs rendus : Exercices sur les fractions' }),
    ).toBeVisible();
    await expect(teacher.getByText('1 élève sur 3 a rendu ce devoir')).toBeVisible();
    const lea = teacher.getByRole('listitem').filter({ has: teacher.getByRole('heading', { name: 'Léa Dubois' }) });
    await expect(lea.getByText('Exercice 1 : j’ai colorié 3 carreaux sur 4.')).toBeVisible();
    await expect(lea.getByText(/Écrit sur l’appareil le .* · Reçu par le serveur le /)).toHaveCount(2);
    const downloaded = teacher.waitForEvent('download');
    await lea.getByRole('button', { name: /Télécharger cahier-page-12\.png/ }).click();
    expect(readFileSync((await (await downloaded).path()) ?? '').equals(photo.buffer)).toBe(true);
  } finally {
    await browser.close();
  }
});

test('a server killed in the middle of a file upload loses nothing and stores the homework once', async ({
  playwright,
}) => {
  const context = await openBrowser(playwright);
  const page = context.pages()[0] ?? (await context.newPage());
  await signInAndInstall(page, server.url);

  // The first time the photo's bytes start to leave, the server process dies (SIGKILL).
  let killed = false;
  await context.route('**/api/uploads/**', async (route) => {
    if (route.request().method() === 'PUT' && !killed) {
      killed = true;
      await server.stop({ crash: true });
    }
    await route.continue();
  });
  await handIn(page, /Rendre ce devoir : Exercices sur les fractions/, 'Avec la photo de mon cahier.', photo);
  await expect.poll(() => killed).toBe(true);
  await expect(page.getByText('En attente d’envoi', { exact: true }).first()).toBeVisible();
  expect(storedSubmissions(server.dataDir)).toEqual([]);

  await server.start();
  await expect(page.getByText(/^Reçu par le serveur le/)).toBeVisible({ timeout: 90_000 });
  const stored = storedSubmissions(server.dataDir);
  expect(stored.map((s) => s.text)).toEqual(['Avec la photo de mon cahier.']);
  expect(storedUploads(server.dataDir)).toEqual([{ sha256: expect.any(String), size: photo.buffer.byteLength }]);
  await context.close();
});
