import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_NAME, DB_VERSION, openCartableDb } from './db.ts';

describe('device database', () => {
  it('is created from nothing at the current version with every store', async () => {
    const db = await openCartableDb('fresh');
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual([
      'copies',
      'device',
      'drafts',
      'feedback',
      'feedbackFiles',
      'files',
      'keys',
      'outbox',
      'outboxFiles',
      'prefetch',
      'profiles',
      'sealedFiles',
      'session',
      'syncState',
      'weeks',
    ]);
    db.close();
  });

  it('upgrades a version-1 device forward and keeps its installed weeks', async () => {
    const v1 = await openDB('from-v1', 1, {
      upgrade(db) {
        db.createObjectStore('weeks', { keyPath: ['classId', 'week'] }).createIndex('byClass', 'classId');
        db.createObjectStore('files', { keyPath: 'sha256' });
        db.createObjectStore('session', { keyPath: 'id' });
      },
    });
    await v1.put('weeks', {
      classId: 'cm2-b',
      week: '2026-W48',
      etag: '"1"',
      installedAt: 1,
      manifest: { version: 1 },
    });
    v1.close();
    const upgraded = await openCartableDb('from-v1');
    expect(upgraded.version).toBe(DB_VERSION);
    expect(await upgraded.get('weeks', ['cm2-b', '2026-W48'])).toMatchObject({ etag: '"1"' });
    expect(await upgraded.count('outbox')).toBe(0);
    upgraded.close();
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
