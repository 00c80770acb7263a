/** A school's shared tablet as a spec drives it: pupils' profiles with PINs, and what its disk holds. */
import { expect, type Page } from '@playwright/test';

/** Signs a pupil not yet on the tablet in, with the PIN they choose. */
export async function newPupil(page: Page, username: string, secret: string, pin: string) {
  await page.getByRole('button', { name: 'Je ne suis pas dans la liste' }).click();
  await page.getByLabel('Identifiant').fill(username);
  await page.getByLabel('Code secret').fill(secret);
  await page.getByLabel('Code PIN', { exact: true }).fill(pin);
  await page.getByLabel('Code PIN, encore une fois').fill(pin);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
}

/** Opens a pupil's profile with their PIN. */
export async function reopen(page: Page, name: string, pin: string) {
  await page.getByRole('button', { name }).click();
  await page.getByLabel('Code PIN', { exact: true }).fill(pin);
  await page.getByRole('button', { name: 'Ouvrir' }).click();
}

/** Every record of the pupils' stores, bytes decoded as text: what someone reading the tablet's disk would find. */
export function readDeviceDatabase(page: Page): Promise<{ dump: string; outbox: Record<string, unknown>[] }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('cartable');
      req.addEventListener('success', () => resolve(req.result));
      req.addEventListener('error', () => reject(req.error));
    });
    const all = (store: string) =>
      new Promise<unknown[]>((resolve, reject) => {
        const req = db.transaction(store).objectStore(store).getAll();
        req.addEventListener('success', () => resolve(req.result));
        req.addEventListener('error', () => reject(req.error));
      });
    const stores = [
      'outbox',
      'outboxFiles',
      'sealedFiles',
      'drafts',
      'profiles',
      'session',
      'feedback',
      'feedbackFiles',
    ];
    const records: Record<string, unknown[]> = {};
    for (const s of stores) records[s] = await all(s);
    db.close();
    const dump = JSON.stringify(records, (_k, v: unknown) =>
      v instanceof ArrayBuffer || ArrayBuffer.isView(v)
        ? new TextDecoder().decode(v instanceof ArrayBuffer ? v : v.buffer)
        : v,
    );
    return { dump, outbox: records.outbox as Record<string, unknown>[] };
  });
}
