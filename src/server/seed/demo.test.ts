// The demo seed: idempotent, and it adds accounts that came with a newer version to a database seeded before.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/test-database.ts';
import { LocalFileStorage } from '../files/file-storage.ts';
import { DEMO_ACCOUNTS, ensureDemo } from './demo.ts';
import { join } from 'node:path';

let database: TestDatabase | undefined;
afterEach(async () => database?.dispose());

describe('demo seed', () => {
  it('creates every demo account once, and adds the admin to a demo seeded before admins existed', async () => {
    database = await createTestDatabase();
    const db = await database.open();
    const storage = new LocalFileStorage(join(database.dir, 'files'));
    const now = new Date('2026-11-25T09:00:00Z');
    expect((await ensureDemo(db, storage, now)).created).toBe(true);
    const usernames = async () =>
      (await db.selectFrom('users').select('username').orderBy('username').execute()).map((r) => r.username);
    expect(await usernames()).toEqual(DEMO_ACCOUNTS.map((a) => a.username).sort());
    // An older demo: no admin yet.
    await db.deleteFrom('users').where('username', '=', 'mme.roux').execute();
    expect((await ensureDemo(db, storage, now)).created).toBe(false);
    expect(await usernames()).toEqual(DEMO_ACCOUNTS.map((a) => a.username).sort());
    await db.destroy();
  });
});
