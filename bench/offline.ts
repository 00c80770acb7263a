/**
 * bench:offline — how fast a lesson's text is on screen with no network, from the service worker and the device's
 * IndexedDB (median of 20 reloads), beside the same reloads with the service worker blocked and the server up
 * (shell from the network) measured in the same run; and the gzip size of the JS and CSS of the pupil's first
 * screen. Goals: median <= 300 ms offline; first screen <= 35 KB of JS gzipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BrowserContext, chromium, type Page } from '@playwright/test';
import { signInAndInstall } from '../e2e/pupil.ts';
import { startServer } from '../e2e/server.ts';
import { CHROMIUM, LAUNCH_ARGS } from '../playwright.config.ts';
import { LESSON_VISIBLE_MARK as MARK } from '../src/app/marks.ts';
import { median, percentile, printTable, writeResults } from './report.ts';

const RELOADS = 20;

/** Loads `url` `times` times and returns when the lesson mark fired, in ms from navigation start. */
async function timeReloads(page: Page, url: string, times: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    await page.goto(url);
    const ms = await page.waitForFunction((mark) => performance.getEntriesByName(mark)[0]?.startTime, MARK, {
      timeout: 15_000,
    });
    samples.push(Number(await ms.jsonValue()));
  }
  return samples;
}

/** The JS and CSS files the page loaded, gzipped from the built files (what a gzip-serving proxy would send). */
async function firstScreenBytes(page: Page): Promise<{ js: number; css: number; files: string[] }> {
  const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  const own = [...new Set(urls.map((u) => new URL(u).pathname).filter((p) => /\.(js|css)$/.test(p)))];
  let js = 0;
  let css = 0;
  for (const path of own) {
    const size = gzipSync(readFileSync(join('dist/client', path)), { level: 9 }).byteLength;
    if (path.endsWith('.js')) js += size;
    else css += size;
  }
  return { js, css, files: own };
}

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
const contexts: BrowserContext[] = [];
try {
  // First screen: a fresh device signs in and sees its week.
  const fresh = await browser.newContext({ locale: 'fr-FR', serviceWorkers: 'block' });
  contexts.push(fresh);
  const firstPage = await fresh.newPage();
  await firstPage.goto(`${server.url}/`);
  await firstPage.getByLabel('Identifiant').fill('lea');
  await firstPage.getByLabel('Code secret').fill('soleil-12');
  await firstPage.getByRole('button', { name: 'Se connecter' }).click();
  await firstPage.getByText('Semaine prête hors ligne').waitFor();
  const bytes = await firstScreenBytes(firstPage);

  // Baseline in the same run: service worker blocked, server up (the shell comes from the network every time).
  const lessonUrl = `${server.url}${await firstPage.getByRole('link', { name: /cycle de l’eau/ }).getAttribute('href')}`;
  const online = await timeReloads(firstPage, lessonUrl, RELOADS);

  // Cartable offline: the service worker and IndexedDB, network cut.
  const device = await browser.newContext({ locale: 'fr-FR', serviceWorkers: 'allow' });
  contexts.push(device);
  const page = await device.newPage();
  await signInAndInstall(page, server.url);
  await page.goto(lessonUrl);
  await device.setOffline(true);
  const offline = await timeReloads(page, lessonUrl, RELOADS);

  const figures = {
    medianMs: median(offline),
    p90Ms: percentile(offline, 90),
    minMs: Math.min(...offline),
    maxMs: Math.max(...offline),
    reloads: RELOADS,
    baselineOnlineNoServiceWorkerMedianMs: median(online),
    offlinePerOnlineRatio: median(offline) / median(online),
    firstScreenJsGzipBytes: bytes.js,
    firstScreenCssGzipBytes: bytes.css,
    firstScreenFiles: bytes.files,
    goals: { medianMs: 300, firstScreenJsGzipBytes: 35 * 1024 },
  };
  printTable([
    { measure: 'lesson visible, offline (service worker), median ms', value: figures.medianMs, goal: '<= 300' },
    { measure: 'lesson visible, offline, p90 ms', value: figures.p90Ms, goal: '' },
    {
      measure: 'same, online without service worker, median ms',
      value: figures.baselineOnlineNoServiceWorkerMedianMs,
      goal: '(baseline)',
    },
    { measure: 'offline / online ratio', value: figures.offlinePerOnlineRatio, goal: '' },
    { measure: 'first screen JS, gzip bytes', value: figures.firstScreenJsGzipBytes, goal: '<= 35840' },
    { measure: 'first screen CSS, gzip bytes', value: figures.firstScreenCssGzipBytes, goal: '' },
  ]);
  console.log(`written: ${writeResults('offline', figures)}`);
} finally {
  for (const c of contexts) await c.close();
  await browser.close();
  await server.dispose();
}
