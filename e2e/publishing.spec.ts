// A teacher never loses a lesson: the editor starts from the newest version, keeps what was published after
// Publier, merges two devices' offline edits (asking only for the item both changed), and keeps handed-in work of
// a removed assignment within reach. Real server, real Chromium.
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { isoWeekAt } from '../src/protocol/iso-week.ts';
import type { WeekManifest } from '../src/protocol/schemas.ts';
import { LEA, signInAndInstall } from './pupil.ts';
import { type RunningServer, startServer } from './server.ts';

test.setTimeout(150_000);

const TEACHER = { username: 'mme.martin', secret: 'tableau-noir' };
const CLASS = 'cm2-b';

let server: RunningServer;
test.beforeEach(async () => {
  server = await startServer();
});
test.afterEach(async () => server.dispose());

async function teacherPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signInAndInstall(page, server.url, TEACHER);
  await page.getByRole('link', { name: 'Publier' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Publier une semaine' })).toBeVisible();
  await expect(page.getByTestId('publish-origin')).toBeVisible();
  return page;
}

/** The week pupils get now, read from the server with a pupil's token. */
async function pupilWeek(): Promise<WeekManifest> {
  const signIn = await fetch(`${server.url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: LEA.username, secret: LEA.secret }),
  });
  const { token: accessToken } = (await signIn.json()) as { token: string };
  const week = isoWeekAt(Date.now(), 'Europe/Paris');
  const res = await fetch(`${server.url}/api/classes/${CLASS}/weeks/${week}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return (await res.json()) as WeekManifest;
}

const titles = (m: WeekManifest) => [...m.lessons].sort((a, b) => a.order - b.order).map((l) => l.title);
const itemList = (page: Page) => page.getByRole('navigation', { name: 'Contenu de la semaine' });

async function publish(page: Page, version: number) {
  await page.getByRole('button', { name: 'Publier', exact: true }).click();
  await expect(page.getByTestId('save-state')).toContainText(`Publiée : version ${version}`, { timeout: 20_000 });
}

async function addLesson(page: Page, title: string, body: string) {
  await itemList(page).getByRole('button', { name: 'Ajouter une leçon' }).click();
  await page.getByLabel('Titre', { exact: true }).fill(title);
  await page.getByLabel('Texte de la leçon').fill(body);
}

test('the editor starts from the newest version and keeps the week after Publier: no lesson is lost', async ({
  browser,
}) => {
  const laptop = await teacherPage(browser);
  // Not a blank form: the published week, from the server.
  await expect(laptop.getByTestId('publish-origin')).toContainText('Version 1 publiée le');
  await expect(itemList(laptop).getByRole('button')).toHaveText([
    'Sciences : le cycle de l’eau',
    'Mathématiques : les fractions',
    'Éducation musicale : le la du diapason',
    'Ajouter une leçon',
    'Exercices sur les fractions',
    'Rédaction : raconte le voyage d’une goutte d’eau',
    'Ajouter un devoir',
  ]);
  await addLesson(laptop, 'Histoire : Charlemagne', 'Charlemagne est couronné empereur en **800**.');
  await expect(laptop.locator('.preview').first()).toContainText('couronné empereur en 800');
  await expect(laptop.getByRole('region', { name: 'Ce que cette version change' })).toContainText(
    /Ajoute :\s*Histoire : Charlemagne/,
  );
  await publish(laptop, 2);
  // After Publier the week stays on screen, whole: one more lesson typed there adds to it, replaces nothing.
  await expect(itemList(laptop).getByRole('button', { name: 'Histoire : Charlemagne' })).toBeVisible();
  await addLesson(laptop, 'Anglais : les couleurs', 'Red, blue, green.');
  await publish(laptop, 3);
  expect(titles(await pupilWeek())).toEqual([
    'Sciences : le cycle de l’eau',
    'Mathématiques : les fractions',
    'Éducation musicale : le la du diapason',
    'Histoire : Charlemagne',
    'Anglais : les couleurs',
  ]);
  expect((await pupilWeek()).assignments).toHaveLength(2);
  // The history says what each version changed.
  await expect(laptop.locator('[data-version="3"]')).toContainText('Ajoute : Anglais : les couleurs');
  await expect(laptop.locator('[data-version="2"]')).toContainText('Ajoute : Histoire : Charlemagne');
  // A file dropped on the lesson is attached as if picked.
  const dropped = await laptop.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['%PDF-1.4\n% annexe'], 'annexe.pdf', { type: 'application/pdf' }));
    return data;
  });
  await laptop.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dropped });
  await expect(laptop.getByText(/^annexe\.pdf/)).toBeVisible();

  // The phone at home never saw versions 2 and 3 on the device: its editor starts from the server's version 3.
  const phone = await teacherPage(browser);
  await expect(phone.getByTestId('publish-origin')).toContainText('Version 3 publiée le');
  await expect(itemList(phone).getByRole('button', { name: 'Histoire : Charlemagne' })).toBeVisible();
  await laptop.context().close();
  await phone.context().close();
});

test('two devices edit the same week offline: both changes reach pupils, the one conflict is the teacher’s choice', async ({
  browser,
}) => {
  const laptop = await teacherPage(browser);
  const phone = await teacherPage(browser);
  await laptop.context().setOffline(true);
  await phone.context().setOffline(true);

  // The laptop corrects the science lesson and the fractions lesson.
  await laptop.getByLabel('Texte de la leçon').fill('Le cycle de l’eau, version du portable.');
  await itemList(laptop).getByRole('button', { name: 'Mathématiques : les fractions' }).click();
  await laptop.getByLabel('Titre', { exact: true }).fill('Mathématiques : fractions et partages');
  // The phone rewrites the same science lesson differently, and adds a lesson.
  await phone.getByLabel('Texte de la leçon').fill('Le cycle de l’eau, version du téléphone.');
  await addLesson(phone, 'Histoire : Charlemagne', 'Couronné en 800.');

  for (const page of [laptop, phone]) {
    await page.getByRole('button', { name: 'Publier', exact: true }).click();
    await expect(page.getByTestId('save-state')).toContainText('Publication en attente d’envoi');
  }
  await laptop.context().setOffline(false);
  await laptop.evaluate(() => window.dispatchEvent(new Event('online')));
  await expect(laptop.getByTestId('save-state')).toContainText('Publiée : version 2', { timeout: 20_000 });
  await phone.context().setOffline(false);
  await phone.evaluate(() => window.dispatchEvent(new Event('online')));
  // The phone's publication is not sent over version 2: it waits for the teacher, in Mes envois and in the editor.
  await expect(phone.getByTestId('save-state')).toContainText(/Conflit|non envoyée/, { timeout: 20_000 });
  expect(titles(await pupilWeek())).toContain('Mathématiques : fractions et partages');
  await phone.reload();
  const merge = phone.getByRole('region', { name: /La version 2 a été publiée entre-temps/ });
  await expect(merge).toContainText('Leçon « Sciences : le cycle de l’eau »');
  await expect(merge).toContainText('version du portable');
  await expect(merge).toContainText('version du téléphone');
  await merge.getByLabel('Garder ma version').check();
  await merge.getByRole('button', { name: 'Appliquer ces choix' }).click();
  await publish(phone, 3);

  const week = await pupilWeek();
  expect(week.version).toBe(3);
  const byTitle = new Map(week.lessons.map((l) => [l.title, l.body]));
  expect(byTitle.get('Sciences : le cycle de l’eau')).toBe('Le cycle de l’eau, version du téléphone.');
  expect(byTitle.has('Mathématiques : fractions et partages')).toBe(true); // the laptop's change
  expect(byTitle.get('Histoire : Charlemagne')).toBe('Couronné en 800.'); // the phone's addition
  expect(byTitle.has('Éducation musicale : le la du diapason')).toBe(true);
  await laptop.context().close();
  await phone.context().close();
});

test('an assignment removed with handed-in work stays reachable, with its copies', async ({ browser }) => {
  // Léa hands in the fractions homework through the API, as her device would.
  const signIn = await fetch(`${server.url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: LEA.username, secret: LEA.secret }),
  });
  const { token: accessToken } = (await signIn.json()) as { token: string };
  const handIn = await fetch(`${server.url}/api/submissions/${randomUUID()}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      classId: CLASS,
      week: isoWeekAt(Date.now(), 'Europe/Paris'),
      assignmentId: 'exercices-fractions',
      text: 'Exercice 1 : 3/4.',
      files: [],
      submittedAt: new Date().toISOString(),
    }),
  });
  expect(handIn.status).toBe(201);

  const teacher = await teacherPage(browser);
  await itemList(teacher).getByRole('button', { name: 'Exercices sur les fractions' }).click();
  teacher.once('dialog', (d) => void d.accept());
  await teacher.getByRole('button', { name: 'Retirer ce devoir' }).click();
  await expect(teacher.getByRole('region', { name: 'Ce que cette version change' })).toContainText(
    /Retire :\s*Exercices sur les fractions/,
  );
  await publish(teacher, 2);
  expect((await pupilWeek()).assignments.map((a) => a.id)).toEqual(['redaction-cycle-eau']);
  const removed = teacher.locator('[data-removed="true"]');
  await expect(removed).toContainText('Exercices sur les fractions');
  await expect(removed).toContainText('retiré de la semaine, 1 copie rendue');
  await removed.getByRole('link', { name: 'Exercices sur les fractions' }).click();
  await expect(teacher.getByText('Exercice 1 : 3/4.')).toBeVisible();
  await teacher.context().close();
});

test('the editor passes axe and is looked at on a desk and on a phone', async ({ browser }) => {
  mkdirSync('docs/screenshots', { recursive: true });
  for (const [name, width, height] of [
    ['desk', 1280, 900],
    ['phone', 390, 844],
  ] as const) {
    const page = await teacherPage(browser);
    await page.setViewportSize({ width, height });
    await page
      .getByLabel('Texte de la leçon')
      .fill('# Le cycle de l’eau\n\nL’eau de la **mer** s’évapore.\n\n- nuage\n- pluie');
    await expect(page.locator('.preview').first()).toContainText('s’évapore');
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.screenshot({ path: `docs/screenshots/editor-${name}.png`, fullPage: true });
    await page.context().close();
  }
});
