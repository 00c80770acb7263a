// Accessibility: axe-core on the pupil's and the teacher's pages finds no serious or critical violation; the language
// switch is remembered.
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { DEMO_LESSONS, signInAndInstall } from './pupil.ts';
import { type RunningServer, startServer } from './server.ts';

let server: RunningServer;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server.dispose();
});

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('sign-in, week and lesson pages have no serious accessibility violation', async ({ page }) => {
  await page.goto(`${server.url}/`);
  await expect(page.getByRole('heading', { name: 'Connexion' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await signInAndInstall(page, server.url);
  expect(await seriousViolations(page)).toEqual([]);

  for (const lesson of DEMO_LESSONS) {
    await page.getByRole('link', { name: lesson.title }).click();
    await expect(page.getByRole('heading', { level: 1, name: lesson.title })).toBeVisible();
    expect(await seriousViolations(page), lesson.title).toEqual([]);
    await page.goBack();
  }
});

test('the teacher’s publishing page has no serious accessibility violation, preview open', async ({ page }) => {
  await signInAndInstall(page, server.url, { username: 'mme.martin', secret: 'tableau-noir' });
  await page.getByRole('link', { name: 'Publier' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Publier une semaine' })).toBeVisible();
  await page.getByRole('button', { name: 'Ajouter un devoir' }).click();
  await page.getByRole('button', { name: 'Sciences : le cycle de l’eau' }).click();
  await expect(page.locator('.preview').first()).toContainText('L’eau de la mer');
  expect(await seriousViolations(page)).toEqual([]);
});

test('the shared tablet’s “Qui es-tu ?”, PIN and sign-in pages, and the school admin’s page, pass axe', async ({
  page,
}) => {
  await page.goto(`${server.url}/installer?mode=partage&ecole=demo-jules-ferry&nom=Jules-Ferry`);
  await expect(page.getByRole('heading', { level: 1, name: 'Qui es-tu ?' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Je ne suis pas dans la liste' }).click();
  await page.getByLabel('Identifiant').fill('hugo');
  await page.getByLabel('Code secret').fill('nuage-34');
  await page.getByLabel('Code PIN', { exact: true }).fill('2468');
  await page.getByLabel('Code PIN, encore une fois').fill('2468');
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('button', { name: 'Changer d’élève' }).click();
  await page.getByRole('button', { name: 'Hugo Petit' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Bonjour Hugo Petit/ })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole('button', { name: 'Retour' }).click();
  await page.getByRole('button', { name: 'Je ne suis pas dans la liste' }).click();
  await page.getByLabel('Identifiant').fill('mme.roux');
  await page.getByLabel('Code secret').fill('craie-blanche');
  await page.getByLabel('Code PIN', { exact: true }).fill('97531');
  await page.getByLabel('Code PIN, encore une fois').fill('97531');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('link', { name: 'École', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Administration de l’école/ })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

test('French by default, English on request, and the choice is remembered', async ({ page }) => {
  await page.goto(`${server.url}/`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await page.getByRole('button', { name: 'Switch to English' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByRole('button', { name: 'Passer en français' }).click();
  await expect(page.getByRole('heading', { name: 'Connexion' })).toBeVisible();
});

test('a wrong secret is said clearly and the form keeps what was typed', async ({ page }) => {
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant').fill('lea');
  await page.getByLabel('Code secret').fill('pas-le-bon');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('alert')).toHaveText('Identifiant ou code secret incorrect.');
  await expect(page.getByLabel('Identifiant')).toHaveValue('lea');
});
