// Script injection in what a teacher publishes (Markdown, titles, file names) is rendered inert for pupils: nothing
// runs, no dialog opens, and the sanitiser removes it before the Content-Security-Policy even has to refuse it.
import { createHash, randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { isoWeekAt } from '../src/protocol/iso-week.ts';
import { encodePng } from '../src/server/seed/media.ts';
import { LEA, signInAndInstall } from './pupil.ts';
import { type RunningServer, startServer } from './server.ts';

let server: RunningServer;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server.dispose();
});

/** A few classics of filter evasion (after OWASP's XSS Filter Evasion Cheat Sheet), each setting a marker if run. */
const PAYLOADS = [
  '<script>window.__xss = "script"; alert(1)</script>',
  '<img src=x onerror="window.__xss = \'img\'; alert(2)">',
  '<svg/onload="window.__xss = \'svg\'">',
  '<iframe src="javascript:window.__xss = \'iframe\'"></iframe>',
  '<a href="javascript:window.__xss = \'href\'">clic</a>',
  "[lien](javascript:window.__xss='md-link')",
  '![image](x" onerror="window.__xss=\'md-img\')',
  '<IMG SRC=JaVaScRiPt:alert(3)>',
  '<body onload=alert(4)>',
  '<details open ontoggle="window.__xss = \'details\'">',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=\'mxss\'">',
  '"><img src=x onerror=alert(5)>',
];

test('script injection in lessons, titles and file names is rendered inert', async ({ page }) => {
  const dialogs: string[] = [];
  const violations: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()))
      violations.push(`${m.location().url}: ${m.text()}`);
  });

  // The teacher publishes next week through the API, every field loaded with payloads.
  const sign = await fetch(`${server.url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'mme.martin', secret: 'tableau-noir' }),
  });
  const { token } = (await sign.json()) as { token: string };
  const auth = { authorization: `Bearer ${token}` };
  const png = encodePng(8, 8, () => [200, 30, 30, 255]);
  const sha = createHash('sha256').update(png).digest('hex');
  const up = await fetch(`${server.url}/api/lesson-files/${sha}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'image/png' },
    body: new Uint8Array(png),
  });
  expect(up.status).toBe(201);
  const week = isoWeekAt(Date.now(), 'Europe/Paris');
  const fileName = '"><img src=x onerror=alert(6)>.png';
  const published = await fetch(`${server.url}/api/classes/cm2-b/weeks/${week}/publications/${randomUUID()}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      baseVersion: 1, // over the demo's version 1 of this week
      lessons: [
        {
          id: 'piege',
          title: `Leçon piégée <img src=x onerror="window.__xss='title'">`,
          order: 1,
          body: `# Leçon piégée\n\n${PAYLOADS.join('\n\n')}`,
          attachments: [{ sha256: sha, name: fileName }],
        },
      ],
      assignments: [
        {
          id: 'devoir-piege',
          title: '<script>window.__xss="assignment"</script>Devoir',
          instructions: PAYLOADS.join(' '),
          dueAt: '2030-01-10T16:00:00.000Z',
        },
      ],
    }),
  });
  expect(published.status).toBe(201);

  await signInAndInstall(page, server.url, LEA);
  await page.getByRole('link', { name: /Leçon piégée/ }).click();
  await expect(page.locator('.lesson-body')).toContainText('Leçon piégée');
  // The title and the file's name are shown as text, not markup.
  await expect(page.getByRole('heading', { level: 1, name: /Leçon piégée <img src=x onerror=/ })).toBeVisible();
  await expect(page.getByRole('img', { name: fileName })).toBeVisible();
  await page.getByRole('link', { name: /Retour à la semaine/ }).click();
  await page
    .getByRole('link', { name: /Rendre ce devoir/ })
    .first()
    .click();
  await page.waitForTimeout(500);

  expect(await page.evaluate('window.__xss')).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(violations).toEqual([]);
  // Nothing executable survived the sanitiser in the lesson.
  await page.goBack();
  await page.getByRole('link', { name: /Leçon piégée/ }).click();
  const live = await page
    .locator('.lesson-body')
    .evaluate(
      (el) =>
        el.querySelectorAll('script, iframe, svg, math, [onerror], [onload], [ontoggle], a[href^="javascript" i]')
          .length,
    );
  expect(live).toBe(0);
});
