/**
 * bench:offline — how fast a lesson's text is on screen with no network, from the service worker and the device's
 * IndexedDB (median of 20 reloads), beside the same reloads with the service worker blocked and the server up
 * (shell from the network) measured in the same run; the same offline reloads with the CPU throttled 4x (Chromium's
 * DevTools throttling, Lighthouse's mobile profile); the cost of a shared tablet's PIN unlock (the PBKDF2 derivation
 * at the app's iteration count, in the page) unthrottled and throttled; and the gzip size of the JS the pupil's
 * first screen loads (scripts/first-screen.ts, the same figure `npm run size` checks in npm test).
 * Goals: median <= 150 ms offline, <= 400 ms throttled; first screen <= 30 KB of JS gzipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BrowserContext, chromium, type Page } from '@playwright/test';
import { signInAndInstall } from '../e2e/pupil.ts';
import { startServer } from '../e2e/server.ts';
import { CHROMIUM, LAUNCH_ARGS } from '../playwright.config.ts';
import { FIRST_SCREEN_JS_BUDGET, firstScreen } from '../scripts/first-screen.ts';
import { LESSON_VISIBLE_MARK as MARK } from '../src/app/marks.ts';
import { PBKDF2_ITERATIONS } from '../src/storage/crypto-box.ts';
import { median, percentile, printTable, writeResults } from './report.ts';

const THROTTLE = 4;
const UNLOCKS = 5;

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

/**
 * The time of one PIN check as the app makes it (storage/crypto-box.ts: PBKDF2-SHA256 to an AES-GCM key, then the
 * decrypt), median of `times`, measured in the page.
 */
async function pinUnlockMs(page: Page, iterations: number, times: number): Promise<number> {
  const samples = await page.evaluate(
    async (args) => {
      const out: number[] = [];
      for (let i = 0; i < args.times; i++) {
        const started = performance.now();
        const enc = new TextEncoder();
        const base = await crypto.subtle.importKey('raw', enc.encode('1234'), 'PBKDF2', false, ['deriveKey']);
        const key = await crypto.subtle.deriveKey(
          {
            name: 'PBKDF2',
            hash: 'SHA-256',
            salt: crypto.getRandomValues(new Uint8Array(16)),
            iterations: args.iterations,
          },
          base,
          { name: 'AES-GCM', length: 256 },
          false,
          ['encrypt'],
        );
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new Uint8Array(150));
        out.push(performance.now() - started);
      }
      return out;
    },
    { iterations, times },
  );
  return median(samples);
}

/** Everything the page loaded by the time its week was ready (first screen, then the sync engine it loads after). */
async function loadedBytes(page: Page): Promise<{ js: number; css: number; files: string[] }> {
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
  const loaded = await loadedBytes(firstPage);
  const bytes = firstScreen();

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
  const pinUnlockMsUnthrottled = await pinUnlockMs(page, PBKDF2_ITERATIONS, UNLOCKS);

  // A low-end phone: the same device, the same offline reloads, the CPU throttled 4x.
  const cdp = await device.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  const throttled = await timeReloads(page, lessonUrl, RELOADS);
  const pinUnlockThrottledMs = await pinUnlockMs(page, PBKDF2_ITERATIONS, UNLOCKS);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });

  const figures = {
    medianMs: median(offline),
    p90Ms: percentile(offline, 90),
    minMs: Math.min(...offline),
    maxMs: Math.max(...offline),
    reloads: RELOADS,
    baselineOnlineNoServiceWorkerMedianMs: median(online),
    offlinePerOnlineRatio: median(offline) / median(online),
    throttledMedianMs: median(throttled),
    throttledP90Ms: percentile(throttled, 90),
    cpuThrottle: THROTTLE,
    pinUnlockMs: pinUnlockMsUnthrottled,
    pinUnlockThrottledMs,
    pbkdf2Iterations: PBKDF2_ITERATIONS,
    firstScreenJsGzipBytes: bytes.js,
    firstScreenCssGzipBytes: bytes.css,
    firstScreenFiles: bytes.files.map((f) => f.file),
    loadedByWeekReadyJsGzipBytes: loaded.js,
    loadedByWeekReadyFiles: loaded.files,
    goals: { medianMs: 150, throttledMedianMs: 400, firstScreenJsGzipBytes: FIRST_SCREEN_JS_BUDGET },
  };
  printTable([
    { measure: 'lesson visible, offline (service worker), median ms', value: figures.medianMs, goal: '<= 150' },
    { measure: 'lesson visible, offline, p90 ms', value: figures.p90Ms, goal: '' },
    {
      measure: 'same, online without service worker, median ms',
      value: figures.baselineOnlineNoServiceWorkerMedianMs,
      goal: '(baseline)',
    },
    { measure: 'offline / online ratio', value: figures.offlinePerOnlineRatio, goal: '' },
    { measure: `same, CPU throttled ${THROTTLE}x, median ms`, value: figures.throttledMedianMs, goal: '<= 400' },
    { measure: 'PIN unlock (PBKDF2 + decrypt), median ms', value: figures.pinUnlockMs, goal: '' },
    { measure: `PIN unlock, CPU throttled ${THROTTLE}x, median ms`, value: pinUnlockThrottledMs, goal: '' },
    {
      measure: 'first screen JS, gzip bytes',
      value: figures.firstScreenJsGzipBytes,
      goal: `<= ${FIRST_SCREEN_JS_BUDGET}`,
    },
    { measure: 'first screen CSS, gzip bytes', value: figures.firstScreenCssGzipBytes, goal: '' },
    { measure: 'JS loaded by the time the week is ready, gzip', value: loaded.js, goal: '' },
  ]);
  console.log(`written: ${writeResults('offline', figures)}`);
} finally {
  for (const c of contexts) await c.close();
  await browser.close();
  await server.dispose();
}
