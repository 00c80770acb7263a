import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openSqlite } from './connect.ts';
import { MIGRATION_NAMES, migrateToLatest } from './migrations.ts';

describe('migrations', () => {
  it('build every table from an empty file, in WAL mode with synchronous=FULL, and run once only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartable-mig-'));
    try {
      const db = await openSqlite(join(dir, 'db.sqlite'));
      const tables = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'table' and name not like 'kysely_%' order by name`.execute(db);
      expect(tables.rows.map((r) => r.name)).toEqual([
        'assignments',
        'class_pupils',
        'classes',
        'files',
        'schools',
        'sessions',
        'signing_keys',
        'submission_versions',
        'submissions',
        'uploads',
        'users',
        'week_versions',
      ]);
      expect((await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db)).rows[0]?.journal_mode).toBe('wal');
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous).toBe(2);
      expect(await migrateToLatest(db as never)).toEqual([]);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
      expect(applied.rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
      await db.destroy();
      // A second start on the same file reuses it.
      const again = await openSqlite(join(dir, 'db.sqlite'));
      await again.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
