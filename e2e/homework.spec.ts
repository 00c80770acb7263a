// Homework the pupil can always fix: files over the limits are refused before anything is saved, camera photos
// leave the device small, upright and without their GPS position, a refusal from the server is corrected and then
// received, and the week's card says where each homework stands. Real server, real Chromium.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { isoWeekAt } from '../src/protocol/iso-week.ts';
import type { AssignmentSubmissionsReply } from '../src/protocol/schemas.ts';
import { signInAndInstall, apiSignIn } from './pupil.ts';
import { type RunningServer, startServer } from './server.ts';
import { storedUploads } from './server-db.ts';

test.setTimeout(150_000);

let server: RunningServer;
let dir: string;
test.beforeEach(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'cartable-homework-'));
});
test.afterEach(async () => {
  await server.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const FRACTIONS = /Exercices sur les fractions/;
const card = (page: Page) => page.locator('li.card', { has: page.getByRole('heading', { name: FRACTIONS }) });

async function openAssignment(page: Page) {
  await page.getByRole('link', { name: 'Cette semaine' }).first().click();
  await page.getByRole('link', { name: /Exercices sur les fractions/ }).click();
  await expect(page.getByLabel('Ta réponse')).toBeVisible();
}

/** An APP1 segment: EXIF with Orientation 6 (the phone held upright) and a GPS block, as a camera writes them. */
function exifSegment(): Buffer {
  const tiff = Buffer.alloc(8 + 30 + 18);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(2, 8); // IFD0: two entries
  tiff.writeUInt16BE(0x0112, 10); // Orientation, SHORT, 1, value 6
  tiff.writeUInt16BE(3, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(6, 18);
  tiff.writeUInt16BE(0x8825, 22); // GPSInfo, LONG, 1, offset of the GPS IFD
  tiff.writeUInt16BE(4, 24);
  tiff.writeUInt32BE(1, 26);
  tiff.writeUInt32BE(38, 30);
  tiff.writeUInt32BE(0, 34); // no next IFD
  tiff.writeUInt16BE(1, 38); // GPS IFD: GPSLatitudeRef "N"
  tiff.writeUInt16BE(0x0001, 40);
  tiff.writeUInt16BE(2, 42);
  tiff.writeUInt32BE(2, 44);
  tiff.write('N\0', 48, 'latin1');
  tiff.writeUInt32BE(0, 52);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** A 12-megapixel camera photo (4000 x 3000, a page of writing), encoded by the browser, with EXIF added. */
async function cameraPhoto(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(async () => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 4000, height: 3000 });
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    const paper = ctx.createLinearGradient(0, 0, 4000, 3000);
    paper.addColorStop(0, '#f4f1e8');
    paper.addColorStop(1, '#d9d3c2');
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, 4000, 3000);
    ctx.fillStyle = '#1b2a6b';
    ctx.font = '90px serif';
    for (let line = 0; line < 24; line++)
      ctx.fillText(`Exercice ${line + 1} : 3/4 + 1/4 = 1, et 2/3 de 12 = 8.`, 200, 200 + line * 115);
    // Sensor noise, so it weighs what a real photo weighs.
    const img = ctx.getImageData(0, 0, 4000, 3000);
    for (let i = 0; i < img.data.length; i += 4) {
      const n = (Math.random() - 0.5) * 18;
      img.data[i] = (img.data[i] ?? 0) + n;
      img.data[i + 1] = (img.data[i + 1] ?? 0) + n;
      img.data[i + 2] = (img.data[i + 2] ?? 0) + n;
    }
    ctx.putImageData(img, 0, 0);
    const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b as Blob), 'image/jpeg', 0.92));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  const jpeg = Buffer.from(base64, 'base64');
  return Buffer.concat([jpeg.subarray(0, 2), exifSegment(), jpeg.subarray(2)]);
}

const signInApi = (username: string, secret: string) => apiSignIn(server.url, username, secret);

test('a 60 MB photo the device cannot shrink is refused before anything is saved, its size and the limit named', async ({
  page,
}) => {
  await signInAndInstall(page, server.url);
  await openAssignment(page);
  const big = join(dir, 'vacances.heic');
  writeFileSync(big, Buffer.alloc(60 * 1024 * 1024, 7));
  await page.getByLabel('Ajouter des fichiers (photos, PDF)').setInputFiles(big);
  // Reading 60 MB and trying to decode it takes a while on a busy machine: the refusal is awaited, not timed.
  await expect(page.getByRole('alert')).toContainText('« vacances.heic » (60 Mo) : 20 Mo au plus par fichier', {
    timeout: 60_000,
  });
  await expect(page.getByTestId('to-send')).toHaveCount(0);
  // Nothing went to the device's queue.
  await page.getByRole('link', { name: /Mes envois/ }).click();
  await expect(page.getByText('Aucun envoi pour l’instant.')).toBeVisible();
});

test('a 12 MP camera photo leaves small, upright and without GPS; the week card says waiting, then sent', async ({
  page,
  context,
}) => {
  await signInAndInstall(page, server.url);
  const photo = await cameraPhoto(page);
  expect(photo.byteLength).toBeGreaterThan(1_500_000);
  await expect(card(page).getByTestId('homework-state')).toHaveText('À rendre');

  await context.setOffline(true);
  await openAssignment(page);
  await page.getByLabel('Ta réponse').fill('Voici la photo de mon cahier.');
  await page.getByLabel('Prendre une photo de ton cahier').setInputFiles({
    name: 'IMG_2041.JPG',
    mimeType: 'image/jpeg',
    buffer: photo,
  });
  await expect(page.getByTestId('to-send')).toContainText(/^1 fichier, \d+ Ko à envoyer$/);
  await expect(page.getByText(/IMG_2041\.jpg \(\d+ Ko, réduite, au lieu de [\d,]+ Mo\)/)).toBeVisible();
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(page.getByText('Enregistré sur cet appareil.')).toBeVisible();
  await page.getByRole('link', { name: 'Cette semaine' }).first().click();
  await expect(card(page).getByTestId('homework-state')).toHaveText('En attente d’envoi');
  await expect(card(page).getByRole('link', { name: /Modifier ou renvoyer/ })).toBeVisible();

  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await expect(card(page).getByTestId('homework-state')).toHaveText(/^Envoyé, reçu le/, { timeout: 30_000 });

  // What the server received: one JPEG of at most 400 KB.
  const uploads = storedUploads(server.dataDir);
  expect(uploads).toHaveLength(1);
  expect(uploads[0]?.size).toBeLessThanOrEqual(400 * 1024);
  // The teacher downloads it: a valid image, upright (portrait, as the phone was held), no EXIF, no GPS.
  const teacher = await signInApi('mme.martin', 'tableau-noir');
  const week = isoWeekAt(Date.now(), 'Europe/Paris');
  const list = await fetch(
    `${server.url}/api/classes/cm2-b/weeks/${week}/assignments/exercices-fractions/submissions`,
    {
      headers: { authorization: `Bearer ${teacher}` },
    },
  );
  const reply = (await list.json()) as AssignmentSubmissionsReply;
  const version = reply.pupils.flatMap((p) => p.submissions)[0];
  const file = version?.files[0];
  expect(file?.type).toBe('image/jpeg');
  const download = await fetch(`${server.url}/api/submissions/${version?.submissionId}/files/${file?.sha256}`, {
    headers: { authorization: `Bearer ${teacher}` },
  });
  const bytes = Buffer.from(await download.arrayBuffer());
  expect(bytes.byteLength).toBe(uploads[0]?.size);
  expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
  expect(bytes.includes(Buffer.from('Exif\0\0', 'latin1'))).toBe(false);
  const size = await page.evaluate(async (b64) => {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([raw], { type: 'image/jpeg' }));
    return [bitmap.width, bitmap.height];
  }, bytes.toString('base64'));
  expect(size).toEqual([1200, 1600]);
});

test('a refusal from the server is corrected and received; withdrawing frees the bytes; English says why in English', async ({
  page,
}) => {
  await signInAndInstall(page, server.url);
  // The school lowers its limit after this device fetched the policy: the server refuses what the device accepted.
  await server.stop();
  await server.start({ HOMEWORK_MAX_FILE_MB: '1' });
  const pdf = (name: string, bytes: number) => ({
    name,
    mimeType: 'application/pdf',
    buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes)]),
  });
  await openAssignment(page);
  await page.getByLabel('Ta réponse').fill('Exercices 1 à 3.');
  await page.getByLabel('Ajouter des fichiers (photos, PDF)').setInputFiles(pdf('fiche.pdf', 1_500_000));
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(page.getByText(/^Refusé : Un fichier est trop volumineux/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('link', { name: /Mes envois/ })).toContainText('1 refusé');
  await page.getByRole('link', { name: 'Cette semaine' }).first().click();
  await expect(card(page).getByTestId('homework-state')).toHaveText('Refusé : à corriger');

  // In English, the reason is English (the server's French sentence is only a fallback).
  await page.getByRole('button', { name: 'Switch to English' }).click();
  await page.getByRole('link', { name: /My submissions/ }).click();
  await expect(
    page.getByText('Refused: A file is too large: replace it with a lighter photo or remove it.'),
  ).toBeVisible();
  await expect(page.getByText('1 refused, to correct')).toBeVisible();
  await page.getByRole('button', { name: 'Français' }).click();

  // Modifier: back in the form with the text and the file; the file is replaced by a lighter one, and it is received.
  await page.getByRole('link', { name: /Mes envois/ }).click();
  await page.getByRole('button', { name: 'Modifier' }).click();
  await expect(page.getByLabel('Ta réponse')).toHaveValue('Exercices 1 à 3.');
  await page.getByRole('button', { name: 'Enlever fiche.pdf' }).click();
  await page.getByLabel('Ajouter des fichiers (photos, PDF)').setInputFiles(pdf('fiche-legere.pdf', 300_000));
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(page.getByText(/^Reçu par le serveur le/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('link', { name: /Mes envois/ })).not.toContainText('refusé');

  // Another refused one is withdrawn: its bytes leave the device.
  await page.getByLabel('Ta réponse').fill('Encore trop lourd.');
  await page.getByLabel('Ajouter des fichiers (photos, PDF)').setInputFiles(pdf('gros.pdf', 1_500_000));
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(page.getByText(/^Refusé : Un fichier est trop volumineux/)).toBeVisible({ timeout: 30_000 });
  const held = () =>
    page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('cartable');
          open.addEventListener('error', () => reject(open.error));
          // Plain bytes, or ciphertext on a device that seals each pupil's work: either way, what the item holds.
          open.addEventListener('success', () => {
            const tx = open.result.transaction(['outboxFiles', 'sealedFiles']);
            const plain = tx.objectStore('outboxFiles').count();
            const sealed = tx.objectStore('sealedFiles').count();
            tx.addEventListener('complete', () => resolve(plain.result + sealed.result));
          });
        }),
    );
  const before = await held();
  expect(before).toBeGreaterThan(0);
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Retirer' }).last().click();
  await expect(page.getByText(/^Refusé/)).toHaveCount(0);
  expect(await held()).toBe(before - 1);
});

test('a file that will not fit on the device is said at once, and the text is still saved', async ({ page }) => {
  // A nearly full phone: the browser grants this site 2 MB more than it holds. Chromium here ignores DevTools' quota
  // override, so the page's estimate is made to say it (the one stand-in of this spec: the quota of a full phone),
  // from the first script of every load.
  await page.addInitScript(() => {
    const real = navigator.storage.estimate.bind(navigator.storage);
    navigator.storage.estimate = async () => {
      const e = await real();
      return { ...e, quota: (e.usage ?? 0) + 2_000_000 };
    };
  });
  await signInAndInstall(page, server.url);
  await openAssignment(page);
  await page.getByLabel('Ta réponse').fill('Mon texte, sans la photo.');
  await page.getByLabel('Ajouter des fichiers (photos, PDF)').setInputFiles({
    name: 'scan.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(1_500_000)]),
  });
  await expect(page.getByRole('alert')).toContainText('« scan.pdf » (1,4 Mo) : plus assez de place sur cet appareil');
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(page.getByText('Enregistré sur cet appareil.')).toBeVisible();
});
