/** What a pupil does in the e2e specs, and what they must see. */
import { expect, type Page } from '@playwright/test';

export const LEA = { username: 'lea', secret: 'soleil-12', name: 'Léa Dubois' };

export const DEMO_LESSONS = [
  { title: 'Sciences : le cycle de l’eau', text: 'L’eau de la mer', image: true, pdf: false, audio: false },
  {
    title: 'Mathématiques : les fractions',
    text: 'Une fraction partage une unité',
    image: false,
    pdf: true,
    audio: false,
  },
  {
    title: 'Éducation musicale : le la du diapason',
    text: 'vibre 440 fois par seconde',
    image: false,
    pdf: false,
    audio: true,
  },
];

/** Signs in through the form and waits until the week is installed and the service worker controls the page. */
export async function signInAndInstall(
  page: Page,
  baseUrl: string,
  pupil: { username: string; secret: string } = LEA,
): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Identifiant').fill(pupil.username);
  await page.getByLabel('Code secret').fill(pupil.secret);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** Fetches a URL from the page (so through the service worker) and returns status, header and first bytes. */
export async function fetchFromPage(page: Page, url: string) {
  return page.evaluate(async (u) => {
    const res = await fetch(u);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return {
      status: res.status,
      servedBy: res.headers.get('x-served-by'),
      head: String.fromCharCode(...bytes.slice(0, 4)),
      size: bytes.byteLength,
    };
  }, url);
}

/** Reloads, then opens every demo lesson with its image, PDF and audio; fails on anything missing. */
export async function openEverything(page: Page): Promise<void> {
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Exercices sur les fractions' })).toBeVisible();
  for (const lesson of DEMO_LESSONS) {
    await page.getByRole('link', { name: lesson.title }).click();
    await expect(page.getByRole('heading', { level: 1, name: lesson.title })).toBeVisible();
    await expect(page.locator('.lesson-body')).toContainText(lesson.text);
    if (lesson.image) {
      const img = page.locator('.lesson-body img');
      await expect(img).toHaveAttribute('alt', 'Schéma du cycle de l’eau');
      await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(480);
    }
    if (lesson.pdf) {
      const link = page.getByRole('link', { name: /Ouvrir fiche-fractions\.pdf/ });
      const file = await fetchFromPage(page, (await link.getAttribute('href')) ?? '');
      expect(file).toMatchObject({ status: 200, servedBy: 'cartable-device', head: '%PDF' });
    }
    if (lesson.audio) {
      const audio = page.locator('audio');
      const file = await fetchFromPage(page, (await audio.getAttribute('src')) ?? '');
      expect(file).toMatchObject({ status: 200, servedBy: 'cartable-device', head: 'RIFF' });
      await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.readyState)).toBeGreaterThanOrEqual(1);
      expect(await audio.evaluate((a: HTMLAudioElement) => a.duration)).toBeCloseTo(2, 1);
    }
    // A reload on the lesson's own URL works too (the service worker answers the navigation).
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: lesson.title })).toBeVisible();
    await page.getByRole('link', { name: /Retour à la semaine/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
  }
}

/** An access token for an account, from the sign-in API (for setting a scene up outside the browser). */
export async function apiSignIn(baseUrl: string, username: string, secret: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, secret }),
  });
  return ((await res.json()) as { token: string }).token;
}
