// The way back: a teacher returns a pupil's copy (a Markdown comment and a mark) while the pupil's device is offline;
// the pupil's device fetches it as soon as it is online, the pupil reads it with the server stopped, and the teacher
// sees "vu". On a shared tablet the next pupil finds nothing of it, in the page or in IndexedDB. Real server, real
// Chromium, one browser context per device.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { isoWeekAt } from '../src/protocol/iso-week.ts';
import { encodePng } from '../src/server/seed/media.ts';
import type { AssignmentSubmissionsReply } from '../src/protocol/schemas.ts';
import { LEA, signInAndInstall, apiSignIn } from './pupil.ts';
import { newPupil, readDeviceDatabase, reopen } from './tablet.ts';
import { type RunningServer, startServer } from './server.ts';

test.setTimeout(150_000);

let server: RunningServer;
test.beforeEach(async () => {
  server = await startServer();
});
test.afterEach(async () => server.dispose());

function encodePngBuffer(): Buffer {
  return Buffer.from(encodePng(40, 30, (x, y) => [200 + (x % 50), y * 4, 30, 255]));
}

/** Looked at on a desk and a phone, with no serious accessibility fault (SCREENSHOTS=1 keeps them in docs/). */
async function lookAt(page: Page, screen: string): Promise<void> {
  const dir = process.env.SCREENSHOTS ? 'docs/screenshots' : test.info().outputPath('');
  mkdirSync(dir, { recursive: true });
  for (const [name, size] of [
    ['desk', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    await page.setViewportSize(size);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.screenshot({ path: `${dir}/${screen}-${name}.png`, fullPage: true });
  }
}

const WEEK = () => isoWeekAt(Date.now(), 'Europe/Paris');
/** A real PNG (the server sniffs uploads): the teacher's annotated photo of the copy. */
const ANNOTATED = encodePngBuffer();
const COMMENT = 'Très bien pour le 1 et le 2, **refais l’exercice 3** : pense au dénominateur commun.';

const apiToken = (username: string, secret: string) => apiSignIn(server.url, username, secret);

/** Léa's copy of the fractions, handed in from another device (the API). */
async function handInFractions(): Promise<string> {
  const id = randomUUID();
  const res = await fetch(`${server.url}/api/submissions/${id}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${await apiToken(LEA.username, LEA.secret)}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      classId: 'cm2-b',
      week: WEEK(),
      assignmentId: 'exercices-fractions',
      text: '3/4 + 1/4 = 1 ; 2/3 + 1/6 = 3/9',
      files: [],
      submittedAt: new Date().toISOString(),
    }),
  });
  expect(res.status).toBe(201);
  return id;
}

/** What the teacher's page reads: the return of Léa's copy, as the server has it. */
async function returnOnServer(copy: string) {
  const res = await fetch(
    `${server.url}/api/classes/cm2-b/weeks/${WEEK()}/assignments/exercices-fractions/submissions`,
    { headers: { authorization: `Bearer ${await apiToken('mme.martin', 'tableau-noir')}` } },
  );
  const reply = (await res.json()) as AssignmentSubmissionsReply;
  return reply.pupils.flatMap((p) => p.submissions).find((v) => v.submissionId === copy)?.feedback;
}

/** A staff member on her own device (a browser context of its own), signed in through the form. */
async function staffPage(browser: Browser, username: string, secret: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', serviceWorkers: 'allow' });
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant').fill(username);
  await page.getByLabel('Code secret').fill(secret);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
  return page;
}

/** The teacher, on her own device, returns Léa's copy with the comment and 8 / 10. */
async function teacherReturns(browser: Browser): Promise<Page> {
  const page = await staffPage(browser, 'mme.martin', 'tableau-noir');
  await page.goto(`${server.url}/semaine/${WEEK()}/devoir/exercices-fractions/rendus`);
  const lea = page.locator('li.card', { has: page.getByRole('heading', { name: 'Léa Dubois' }) });
  await lea.getByLabel('Commentaire (Markdown)').fill(COMMENT);
  await lea.getByRole('radio', { name: 'Note chiffrée' }).check();
  await lea.getByLabel('Note', { exact: true }).fill('8');
  await lea.getByLabel('Sur').fill('10');
  await lea.getByLabel('Joindre une copie annotée (photo, PDF)').setInputFiles({
    name: 'copie-annotee.png',
    mimeType: 'image/png',
    buffer: ANNOTATED,
  });
  await expect(lea.getByText('Joint : copie-annotee.png')).toBeVisible();
  await lea.getByRole('button', { name: 'Rendre la copie' }).click();
  // Sent by the teacher's outbox, then shown as returned, not yet seen.
  await expect(lea.getByTestId('returned')).toContainText('Note : 8 / 10');
  await expect(lea.getByTestId('seen')).toHaveText('Pas encore vu par l’élève');
  await lookAt(page, 'feedback-teacher');
  return page;
}

test('a returned copy reaches the pupil’s device, is read with the server stopped, and comes back as “vu”', async ({
  page,
  context,
  browser,
}) => {
  await signInAndInstall(page, server.url);
  const copy = await handInFractions();
  // The pupil's device is offline while the teacher returns the copy.
  await context.setOffline(true);
  const teacher = await teacherReturns(browser);
  expect(await returnOnServer(copy)).toMatchObject({ version: 1, assessment: { kind: 'mark', mark: 8, outOf: 10 } });

  // Back online, the open app fetches it at once: the week's card says "Corrigé".
  await context.setOffline(false);
  const card = page.locator('li.card', { has: page.getByRole('heading', { name: /Exercices sur les fractions/ }) });
  await expect(card.getByTestId('corrected')).toHaveText('Corrigé');

  // Shown once whole on the device: the annotated photo was fetched with it. The server stops; after a reload the
  // pupil reads the return, photo included, from the device alone.
  await server.stop();
  await page.reload();
  await expect(card.getByTestId('corrected')).toBeVisible();
  await card.getByRole('link', { name: /Rendre ce devoir|Modifier ou renvoyer/ }).click();
  const panel = page.getByTestId('feedback');
  await expect(panel.getByRole('heading', { name: /Retour de ton enseignant/ })).toBeVisible();
  await expect(panel.locator('strong')).toHaveText('refais l’exercice 3');
  await expect(panel).toContainText('Note : 8 / 10');
  // The annotated photo, from the device: the same bytes the teacher attached.
  const download = page.waitForEvent('download');
  await panel.getByRole('button', { name: /Ouvrir copie-annotee\.png/ }).click();
  const saved = await (await download).createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of saved) chunks.push(chunk as Buffer);
  expect(Buffer.compare(Buffer.concat(chunks), ANNOTATED)).toBe(0);
  await lookAt(page, 'feedback-pupil');

  // The read mark waited in the outbox for the server, and the teacher sees it.
  await server.start();
  await page.reload();
  await expect.poll(async () => (await returnOnServer(copy))?.seenAt, { timeout: 60_000 }).toBeTruthy();
  await teacher.reload();
  const lea = teacher.locator('li.card', { has: teacher.getByRole('heading', { name: 'Léa Dubois' }) });
  await expect(lea.getByTestId('seen')).toContainText('Vu par l’élève le');
  await teacher.context().close();
});

test('on a shared tablet the return is sealed to its pupil: the next pupil finds nothing of it', async ({
  browser,
}) => {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', serviceWorkers: 'allow' });
  const page = await context.newPage();
  await page.goto(`${server.url}/installer?mode=partage&ecole=demo-jules-ferry&nom=Jules-Ferry`);
  await newPupil(page, 'lea', 'soleil-12', '1357');
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await handInFractions();
  await context.setOffline(true);
  await (await teacherReturns(browser)).context().close();
  await context.setOffline(false);
  const card = (p: Page) =>
    p.locator('li.card', { has: p.getByRole('heading', { name: /Exercices sur les fractions/ }) });
  await expect(card(page).getByTestId('corrected')).toBeVisible();

  // Hugo takes the tablet: nothing of Léa's return on his screens or on the tablet's disk in clear.
  await page.getByRole('button', { name: 'Changer d’élève' }).click();
  await newPupil(page, 'hugo', 'nuage-34', '2468');
  await expect(card(page)).toBeVisible();
  await expect(card(page).getByTestId('corrected')).toHaveCount(0);
  await card(page)
    .getByRole('link', { name: /Rendre ce devoir/ })
    .click();
  await expect(page.getByLabel('Ta réponse')).toBeVisible();
  await expect(page.getByTestId('feedback')).toHaveCount(0);
  const { dump } = await readDeviceDatabase(page);
  const records = JSON.parse(dump) as {
    feedback: { owner: string; sealed?: unknown; feedback?: unknown }[];
    feedbackFiles: { owner: string; key?: unknown; iv?: string }[];
  };
  // The annotated photo Léa's device fetched is kept encrypted, its key sealed to her profile.
  expect(records.feedbackFiles.map((f) => [f.owner, f.key !== undefined, typeof f.iv])).toEqual([
    ['demo-lea', true, 'string'],
  ]);
  // Each pupil's returns (Hugo's list is empty) are kept sealed to their own profile, never in clear.
  const kept = records.feedback
    .map((r) => [r.owner, r.sealed !== undefined, r.feedback === undefined] as const)
    .sort((a, b) => a[0].localeCompare(b[0]));
  expect(kept).toEqual([
    ['demo-hugo', true, true],
    ['demo-lea', true, true],
  ]);
  for (const words of ['dénominateur', 'refais', '8 / 10']) expect(dump).not.toContain(words);
  // Léa's device token (in clear on the tablet, as the worker uses it at the off-peak slot) yields only ciphertext:
  // the app bound her profile's key to it while she was signed in.
  const withDeviceToken = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('cartable');
      req.addEventListener('success', () => resolve(req.result));
      req.addEventListener('error', () => reject(req.error));
    });
    const lea = await new Promise<{ deviceToken: string }>((resolve, reject) => {
      const req = db.transaction('profiles').objectStore('profiles').get('demo-lea');
      req.addEventListener('success', () => resolve(req.result as { deviceToken: string }));
      req.addEventListener('error', () => reject(req.error));
    });
    db.close();
    const res = await fetch('/api/feedback', { headers: { authorization: `Bearer ${lea.deviceToken}` } });
    return { status: res.status, body: await res.text() };
  });
  expect(withDeviceToken.status).toBe(200);
  expect(withDeviceToken.body).toContain('"sealed"');
  expect(withDeviceToken.body).not.toContain('dénominateur');

  // Léa comes back with her PIN and reads it, offline.
  await page.getByRole('button', { name: 'Changer d’élève' }).click();
  await context.setOffline(true);
  await reopen(page, 'Léa Dubois', '1357');
  await card(page)
    .getByRole('link', { name: /Modifier ou renvoyer|Rendre ce devoir/ })
    .click();
  await expect(page.getByTestId('feedback')).toContainText('pense au dénominateur commun');
  await context.close();

  // The school's admin sees the tablet: its last contact, the week it holds, its queue's count; nobody's name.
  const admin = await staffPage(browser, 'mme.roux', 'craie-blanche');
  await admin.getByRole('link', { name: 'École' }).click();
  const tablets = admin.getByTestId('tablets');
  await expect(tablets).toContainText('Tablette n° 1');
  await expect(tablets).toContainText(`CM2 B, semaine ${WEEK()} : à jour`);
  await expect(tablets).toContainText('Rien en attente d’envoi');
  await expect(tablets).not.toContainText('Léa');
  await lookAt(admin, 'tablets');
  await admin.context().close();
});

test('Qui est prêt ? lists the pupils whose devices never took this week, and exports them', async ({
  page,
  browser,
}) => {
  await signInAndInstall(page, server.url);
  const teacher = await staffPage(browser, 'mme.martin', 'tableau-noir');
  await teacher.getByRole('link', { name: 'Qui est prêt ?' }).click();
  await expect(teacher.getByRole('heading', { level: 1, name: 'Qui est prêt ?' })).toBeVisible();
  const row = (name: string) => teacher.getByRole('row', { name: new RegExp(name) });
  await expect(row('Léa Dubois')).toContainText('Oui, la dernière version');
  await expect(row('Hugo Petit')).toContainText('Pas encore');
  await expect(row('Hugo Petit')).toContainText('Jamais');
  await expect(teacher.getByText('1 élève sur 3 a la semaine')).toBeVisible();

  // Those not reached for a day: Hugo and Inès, not Léa.
  await teacher.getByLabel('Pas joint depuis').selectOption({ label: '1 jour' });
  await expect(row('Léa Dubois')).toHaveCount(0);
  await expect(row('Hugo Petit')).toBeVisible();
  const download = teacher.waitForEvent('download');
  await teacher.getByRole('button', { name: 'Exporter en CSV' }).click();
  const csv = await (await download).createReadStream();
  let text = '';
  for await (const chunk of csv) text += String(chunk);
  expect(text.split('\r\n')[0]).toBe(
    '\uFEFFÉlève;Semaine sur un appareil;Dernier contact;Exercices sur les fractions;Rédaction : raconte le voyage d’une goutte d’eau',
  );
  expect(text).toContain('Hugo Petit;Pas encore;Jamais;Pas rendu');
  expect(text).not.toContain('Léa Dubois');
  await lookAt(teacher, 'readiness');
  await teacher.context().close();
});

test('a teacher returns a copy with the server down, from the copies her device kept; it arrives once it is back', async ({
  browser,
}) => {
  const copy = await handInFractions();
  const page = await staffPage(browser, 'mme.martin', 'tableau-noir');
  const context = page.context();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const copies = `${server.url}/semaine/${WEEK()}/devoir/exercices-fractions/rendus`;
  await page.goto(copies);
  const lea = page.locator('li.card', { has: page.getByRole('heading', { name: 'Léa Dubois' }) });
  await expect(lea).toContainText('3/4 + 1/4 = 1');

  await server.stop();
  await page.reload();
  await expect(page.getByTestId('copies-offline')).toContainText(
    'Hors ligne : les copies enregistrées sur cet appareil',
  );
  await expect(lea).toContainText('3/4 + 1/4 = 1');
  await lea.getByLabel('Commentaire (Markdown)').fill('Corrigé dans le train : revois le 3.');
  await lea.getByRole('radio', { name: 'Niveau' }).check();
  await lea.getByLabel('Niveau atteint').selectOption({ label: 'En cours d’acquisition' });
  await lea.getByRole('button', { name: 'Rendre la copie' }).click();
  await expect(lea.getByText('Retour en attente d’envoi')).toBeVisible();

  await server.start();
  await page.reload();
  await expect
    .poll(async () => (await returnOnServer(copy))?.assessment, { timeout: 60_000 })
    .toEqual({ kind: 'level', level: 'en_cours' });
  expect((await returnOnServer(copy))?.comment).toBe('Corrigé dans le train : revois le 3.');
  await context.close();
});
