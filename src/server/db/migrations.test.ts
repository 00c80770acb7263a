import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/test-database.ts';
import type { Db } from './schema.ts';
import { MIGRATION_NAMES, migrateTo, migrateToLatest } from './migrations.ts';

const TABLES = [
  'assignments',
  'capacity_reports',
  'class_pupils',
  'classes',
  'device_reports',
  'device_seats',
  'feedback',
  'files',
  'pupil_pending',
  'pupil_weeks',
  'schools',
  'sealing_keys',
  'sessions',
  'signing_keys',
  'submission_versions',
  'submissions',
  'upload_owners',
  'uploads',
  'users',
  'week_versions',
];

async function tablesOf(db: Db, backend: TestDatabase['backend']): Promise<string[]> {
  const rows =
    backend === 'sqlite'
      ? await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name not like 'sqlite_%' order by name`.execute(
          db,
        )
      : await sql<{
          name: string;
        }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name not like 'kysely_%' order by table_name`.execute(
          db,
        );
  return rows.rows.map((r) => r.name);
}

let database: TestDatabase | undefined;
afterEach(async () => {
  await database?.dispose();
  database = undefined;
});

describe('migrations', () => {
  it('build every table from an empty database, run once only, and a second start reuses it', async () => {
    database = await createTestDatabase();
    const db = await database.open();
    expect(await tablesOf(db, database.backend)).toEqual(TABLES);
    expect(await migrateToLatest(db as never)).toEqual([]);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    expect(applied.rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
    await db.destroy();
    const again = await database.open();
    expect(await tablesOf(again, database.backend)).toEqual(TABLES);
    await again.destroy();
  });

  it('commits durably before answering: WAL + synchronous=FULL on SQLite, synchronous_commit on PostgreSQL', async () => {
    database = await createTestDatabase();
    const db = await database.open();
    const settings =
      database.backend === 'sqlite'
        ? {
            journal: (await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db)).rows[0]?.journal_mode,
            synchronous: String(
              (await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous,
            ),
          }
        : {
            synchronous: (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]
              ?.synchronous_commit,
          };
    expect(settings).toEqual(
      database.backend === 'sqlite' ? { journal: 'wal', synchronous: '2' } : { synchronous: 'on' },
    );
    await db.destroy();
  });
});

describe('0005_tenant_edges', () => {
  it('keeps every upload as its uploader’s and every device’s seat in its school', async () => {
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new SQLite(join(mkdtempSync(join(tmpdir(), 'cartable-mig-')), 'db')) }),
    });
    try {
      await migrateTo(db, '0004_accounts');
      const at = '2026-11-25T09:00:00.000Z';
      await sql`insert into schools (id, name, time_zone, created_at) values ('s1', 'École', 'Europe/Paris', ${at})`.execute(
        db,
      );
      await sql`insert into users (id, school_id, role, username, display_name, secret_hash, created_at)
        values ('u1', 's1', 'pupil', 'lea', 'Léa', 'x', ${at})`.execute(db);
      await sql`insert into uploads (sha256, size, type, uploader_id, created_at)
        values (${'a'.repeat(64)}, 3, 'image/png', 'u1', ${at})`.execute(db);
      await sql`insert into devices (id, school_id, seat, created_at) values ('d1', 's1', 7, ${at})`.execute(db);
      await migrateToLatest(db);
      const owners = await sql`select sha256, user_id from upload_owners`.execute(db);
      expect(owners.rows).toEqual([{ sha256: 'a'.repeat(64), user_id: 'u1' }]);
      const seats = await sql`select id, school_id, seat from device_seats`.execute(db);
      expect(seats.rows).toEqual([{ id: 'd1', school_id: 's1', seat: 7 }]);
    } finally {
      await db.destroy();
    }
  });
});

describe('migrations from several processes at once', () => {
  it('leave one schema when two server processes start together on one database', { timeout: 60_000 }, async () => {
    const { spawnServer } = await import('../../test-support/server-process.ts');
    database = await createTestDatabase();
    for (let round = 0; round < 3; round++) {
      const servers = await Promise.all([spawnServer(database.env), spawnServer(database.env)]);
      await Promise.all(servers.map((s) => s.kill()));
    }
    const db = await database.open();
    expect(await tablesOf(db, database.backend)).toEqual(TABLES);
    await db.destroy();
  });
});
