import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_NAME, DB_VERSION, openCartableDb } from './db.ts';

describe('device database', () => {
  it('is created from nothing at the current version with every store', async () => {
    const db = await openCartableDb('fresh');
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['files', 'session', 'weeks']);
    db.close();
  });

  it('keeps its persisted name', () => {
    expect(DB_NAME).toBe('cartable');
  });

  it('refuses to open a database from a newer version of the app instead of wiping it', async () => {
    const newer = await openDB('from-the-future', DB_VERSION + 1);
    newer.close();
    await expect(openCartableDb('from-the-future')).rejects.toMatchObject({ name: 'VersionError' });
  });
});
