// Weekly bundles end to end: a teacher publishes in the app, pupils' devices fetch at their own off-peak slot and
// only what changed, an interrupted download resumes, and a week travels on a file to a device with no network.
import { readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { addWeeks, isoWeekAt, mondayOfIsoWeek } from '../src/protocol/iso-week.ts';
import { parseAccessLog } from '../src/server/access-log.ts';
import { encodePng, simplePdf } from '../src/server/seed/media.ts';
import { zonedInstant } from '../src/protocol/zoned-time.ts';
import { LEA, signInAndInstall } from './pupil.ts';
import { type RunningServer, startServer } from './server.ts';

test.setTimeout(150_000);

const TEACHER = { username: 'mme.martin', secret: 'tableau-noir' };
const HUGO = { username: 'hugo', secret: 'nuage-34' };
const CLASS = 'cm2-b';

let server: RunningServer;
let logDir: string;
test.beforeEach(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'cartable-e2e-log-'));
  server = await startServer({ ACCESS_LOG: join(logDir, 'access.log') });
});
test.afterEach(async () => {
  await server.dispose();
  rmSync(logDir, { recursive: true, force: true });
});

/** What reached the server (its own access log) since `since`: GETs by route pattern. */
async function serverSaw(since: number) {
  await new Promise((r) => setTimeout(r, 300)); // the log is written through a stream
  const lines = parseAccessLog(readFileSync(join(logDir, 'access.log'), 'utf8')).filter((l) => l.arrivalMs >= since);
  const count = (route: string, status?: number) =>
    lines.filter((l) => l.method === 'GET' && l.route === route && (status === undefined || l.status === status))
      .length;
  return {
    files: count('/api/files/:sha256'),
    manifests: count('/api/classes/:classId/weeks/:week'),
    manifests200: count('/api/classes/:classId/weeks/:week', 200),
  };
}

/** A record of the device's IndexedDB (string body: helpers compiled by tsx cannot cross into the page). */
async function readDevice(page: Page, store: string, key: string | string[]): Promise<unknown> {
  return page.evaluate(
    `new Promise((resolve, reject) => {
      const open = indexedDB.open('cartable');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction(${JSON.stringify(store)}).objectStore(${JSON.stringify(store)}).get(${JSON.stringify(key)});
        get.onsuccess = () => { resolve(get.result ?? null); open.result.close(); };
        get.onerror = () => reject(get.error);
      };
    })`,
  );
}

async function installedVersion(page: Page, week: string): Promise<number | undefined> {
  const record = (await readDevice(page, 'weeks', [CLASS, week])) as { manifest?: { version?: number } } | null;
  return record?.manifest?.version;
}

async function teacherPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signInAndInstall(page, server.url, TEACHER);
  await page.getByRole('link', { name: 'Publier' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Publier une semaine' })).toBeVisible();
  return page;
}

const png = (shade: number) => ({
  name: 'loire.png',
  mimeType: 'image/png',
  buffer: encodePng(64, 32, (x, y) => [shade, (x * 4) % 256, (y * 8) % 256, 255]),
});
const pdf = (title: string) => ({
  name: 'charlemagne.pdf',
  mimeType: 'application/pdf',
  buffer: simplePdf(title, ['800']),
});

/** The teacher fills a two-lesson week with one assignment and publishes it. */
async function publishWeek(page: Page, weekLabel: RegExp) {
  await page.getByLabel('Semaine', { exact: true }).selectOption({ label: (await optionLabel(page, weekLabel)) ?? '' });
  // A week never published: the editor opens on one empty lesson.
  await expect(page.getByTestId('publish-origin')).toHaveText('Semaine pas encore publiée.');
  await page.getByLabel('Titre', { exact: true }).fill('Géographie : les fleuves');
  await page
    .getByLabel('Texte de la leçon')
    .fill('# Les fleuves\n\n![La Loire](loire.png)\n\nLa Loire est le plus long fleuve de France.');
  await page.getByLabel('Joindre des fichiers').setInputFiles(png(40));
  await expect(page.getByText(/^loire\.png/)).toBeVisible();
  await expect(page.locator('.preview')).toContainText('La Loire est le plus long fleuve');
  await page.getByRole('button', { name: 'Ajouter une leçon' }).click();
  await page.getByLabel('Titre', { exact: true }).fill('Histoire : Charlemagne');
  await page.getByLabel('Texte de la leçon').fill('Charlemagne est couronné empereur en **800**.');
  await page.getByLabel('Joindre des fichiers').setInputFiles(pdf('Charlemagne'));
  await page.getByRole('button', { name: 'Ajouter un devoir' }).click();
  await page.getByLabel('Titre du devoir').fill('Les fleuves de France');
  await page.getByLabel('Consigne').fill('Cite quatre fleuves.');
  await page.getByLabel('À rendre le').fill('2030-01-10T16:00');
  // A reload keeps everything typed: the draft lives on the device (one per week).
  await page.waitForTimeout(600);
  await page.reload();
  // The same week reopens (it is in the address), with the draft.
  await expect(page.getByTestId('publish-origin')).toHaveText('Votre brouillon, enregistré sur cet appareil.');
  expect(
    await page.getByLabel('Semaine', { exact: true }).evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text),
  ).toMatch(weekLabel);
  await page.getByRole('button', { name: 'Histoire : Charlemagne' }).click();
  await expect(page.getByLabel('Texte de la leçon')).toHaveValue('Charlemagne est couronné empereur en **800**.');
  await page.getByRole('button', { name: 'Publier', exact: true }).click();
  await expect(page.getByTestId('save-state')).toContainText(/Publiée : version \d+/, { timeout: 20_000 });
}

async function optionLabel(page: Page, label: RegExp): Promise<string | undefined> {
  const labels = await page.getByLabel('Semaine', { exact: true }).locator('option').allTextContents();
  return labels.find((l) => label.test(l));
}

const mondayLabel = (week: string) =>
  new RegExp(
    `semaine du ${new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${mondayOfIsoWeek(week)}T12:00:00Z`))}`,
  );

test('a week published in the app reaches the device at its off-peak slot and opens offline on Monday at 8:00', async ({
  browser,
  page,
  context,
}) => {
  const now = Date.now();
  const thisWeek = isoWeekAt(now, 'Europe/Paris');
  const nextWeek = addWeeks(thisWeek, 1);
  await page.clock.install({ time: now });
  await signInAndInstall(page, server.url, LEA);

  const teacher = await teacherPage(browser);
  await publishWeek(teacher, mondayLabel(nextWeek));
  await teacher.context().close();

  // The device knows its slot tonight, and says when it will look.
  const state = (await readDevice(page, 'prefetch', CLASS)) as { nextCheckAt: number };
  const slot = state.nextCheckAt;
  await expect(page.getByTestId('next-check')).toContainText('Prochaine vérification des nouveautés');
  expect(await installedVersion(page, nextWeek)).toBeUndefined();
  const since = Date.now();
  // Time passes to the slot; the app's timer notices, and the device fetches next week.
  await page.clock.setSystemTime(slot + 1000);
  await page.clock.runFor(61_000);
  await expect.poll(() => installedVersion(page, nextWeek), { timeout: 20_000 }).toBe(1);
  const saw = await serverSaw(since);
  expect(saw.files).toBe(2); // the image and the PDF of next week
  expect(saw.manifests200).toBe(1);

  // Monday of next week, 8:00, no network: the new week opens whole, from the device.
  await context.setOffline(true);
  const monday = mondayOfIsoWeek(nextWeek).split('-').map(Number);
  await page.clock.setSystemTime(
    zonedInstant({ year: monday[0] ?? 0, month: monday[1] ?? 1, day: monday[2] ?? 1 }, 8, 0, 'Europe/Paris'),
  );
  await page.reload();
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
  await page.getByRole('link', { name: 'Géographie : les fleuves' }).click();
  const img = page.locator('.lesson-body img');
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(64);
  await page.getByRole('link', { name: /Retour à la semaine/ }).click();
  await page.getByRole('link', { name: 'Histoire : Charlemagne' }).click();
  await expect(page.locator('.lesson-body')).toContainText('couronné empereur');
  await expect(page.getByRole('link', { name: /Ouvrir charlemagne\.pdf/ })).toBeVisible();
});

test('a corrected lesson: the next check downloads that lesson’s new file and one manifest, nothing else', async ({
  browser,
  page,
}) => {
  const now = Date.now();
  const thisWeek = isoWeekAt(now, 'Europe/Paris');
  await page.clock.install({ time: now });
  await signInAndInstall(page, server.url, LEA);
  expect(await installedVersion(page, thisWeek)).toBe(1);

  // The teacher's editor opens on the published week; she swaps the fractions PDF for a corrected one, and publishes.
  const teacher = await teacherPage(browser);
  await expect(teacher.getByTestId('publish-origin')).toContainText('Version 1 publiée le');
  await teacher.getByRole('button', { name: 'Mathématiques : les fractions' }).click();
  await expect(teacher.getByLabel('Titre', { exact: true })).toHaveValue('Mathématiques : les fractions');
  await teacher.getByRole('button', { name: /Retirer fiche-fractions\.pdf/ }).click();
  await teacher.getByLabel('Joindre des fichiers').setInputFiles({
    name: 'fiche-fractions.pdf',
    mimeType: 'application/pdf',
    buffer: simplePdf('Fractions (corrigé)', ['3/4 + 1/4 = 1']),
  });
  await teacher.getByRole('button', { name: 'Publier', exact: true }).click();
  await expect(teacher.getByTestId('save-state')).toContainText('Publiée : version 2', { timeout: 20_000 });
  await teacher.context().close();

  const { nextCheckAt } = (await readDevice(page, 'prefetch', CLASS)) as { nextCheckAt: number };
  const since = Date.now();
  await page.clock.setSystemTime(nextCheckAt + 1000);
  await page.clock.runFor(61_000);
  await expect.poll(() => installedVersion(page, thisWeek), { timeout: 20_000 }).toBe(2);
  const saw = await serverSaw(since);
  expect(saw.files).toBe(1); // the corrected PDF only; the image and the sound are already on the device
  expect(saw.manifests200).toBe(1); // this week's new manifest (next week's answers 404: nothing published)
});

test('a download cut by the server going down keeps the old version, and resumes where it stopped', async ({
  browser,
  page,
  context,
}) => {
  const thisWeek = isoWeekAt(Date.now(), 'Europe/Paris');
  await signInAndInstall(page, server.url, LEA);
  // Version 2 adds two new files to the first lesson.
  const teacher = await teacherPage(browser);
  await expect(teacher.getByTestId('publish-origin')).toContainText('Version 1 publiée le');
  await teacher.getByLabel('Joindre des fichiers').setInputFiles([png(200), pdf('Annexe')]);
  await teacher.getByRole('button', { name: 'Publier', exact: true }).click();
  await expect(teacher.getByTestId('save-state')).toContainText('Publiée : version 2', { timeout: 20_000 });
  await teacher.context().close();

  // The server dies while the device downloads the second new file.
  let files = 0;
  await context.route('**/api/files/*', async (route) => {
    files++;
    if (files === 2) {
      await server.stop();
      await route.abort('connectionrefused');
    } else await route.continue();
  });
  const since = Date.now();
  await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
  await expect(page.getByText('Hors ligne : voici la semaine enregistrée sur cet appareil.')).toBeVisible();
  expect(await installedVersion(page, thisWeek)).toBe(1);
  await context.unroute('**/api/files/*');

  await server.start();
  await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
  await expect.poll(() => installedVersion(page, thisWeek)).toBe(2);
  // Two new files in all: the first arrived before the cut and was not fetched again.
  expect((await serverSaw(since)).files).toBe(2);
});

test('a week saved to a file installs on a fresh device with no network, checked by its signature', async ({
  browser,
  page,
}) => {
  await signInAndInstall(page, server.url, LEA);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Enregistrer la semaine dans un fichier' }).click();
  const file = await (await download).path();
  const bytes = readFileSync(file);

  // Another tablet: Hugo signs in at school, but the lessons never arrive (the network drops at once).
  const tablet = await browser.newContext();
  await tablet.route('**/api/classes/*/weeks/**', (route) => route.abort('internetdisconnected'));
  const other = await tablet.newPage();
  await other.goto(`${server.url}/`);
  await other.getByLabel('Identifiant').fill(HUGO.username);
  await other.getByLabel('Code secret').fill(HUGO.secret);
  await other.getByRole('button', { name: 'Se connecter' }).click();
  await expect(other.getByText('Hors ligne, et cette semaine n’est pas encore sur cet appareil.')).toBeVisible();
  await other.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await tablet.setOffline(true);

  // A tampered copy is refused; the real one installs, and everything opens offline.
  const tampered = Buffer.from(bytes.toString('latin1').replace('cycle de l', 'cycle du l'), 'latin1');
  await other.getByLabel('Installer une semaine depuis un fichier').setInputFiles({
    name: 'semaine.cartable',
    mimeType: 'application/octet-stream',
    buffer: tampered,
  });
  await expect(other.getByTestId('import-status')).toContainText('Fichier refusé');
  await other.getByLabel('Installer une semaine depuis un fichier').setInputFiles({
    name: 'semaine.cartable',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });
  await expect(other.getByTestId('import-status')).toContainText('installée depuis le fichier (version 1)');
  await other.reload();
  // Ready, or (inside the off-peak window, where the device also tries its slot) offline with the week kept.
  await expect(other.getByText(/Semaine prête hors ligne|Hors ligne : voici la semaine enregistrée/)).toBeVisible();
  await other.getByRole('link', { name: 'Sciences : le cycle de l’eau' }).click();
  const img = other.locator('.lesson-body img');
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(480);
  await tablet.close();
});

test('Periodic Background Sync wakes the worker, which fetches the week with the app closed', async ({
  page,
  context,
}) => {
  // Léa signs in, but the week does not arrive before she closes the app.
  await context.route('**/api/classes/*/weeks/**', (route) => route.abort('internetdisconnected'));
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant').fill(LEA.username);
  await page.getByLabel('Code secret').fill(LEA.secret);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByText('Hors ligne, et cette semaine n’est pas encore sur cet appareil.')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.unroute('**/api/classes/*/weeks/**');
  await page.goto(`${server.url}/api/health`); // the app is closed; its worker stays registered

  const cdp = await context.newCDPSession(page);
  const registrations: { registrationId: string; scopeURL: string }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: typeof registrations }) =>
    registrations.push(...e.registrations),
  );
  await cdp.send('ServiceWorker.enable');
  await expect.poll(() => registrations.length).toBeGreaterThan(0);
  const since = Date.now();
  await cdp.send('ServiceWorker.dispatchPeriodicSyncEvent', {
    origin: server.url,
    registrationId: registrations[0]?.registrationId ?? '',
    tag: 'cartable-prefetch',
  });
  const thisWeek = isoWeekAt(Date.now(), 'Europe/Paris');
  await expect.poll(() => installedVersion(page, thisWeek), { timeout: 20_000 }).toBe(1);
  expect((await serverSaw(since)).files).toBe(3);

  // Opened later with no network, the week is all there.
  await context.setOffline(true);
  await page.goto(`${server.url}/`);
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
});
