import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/test-database.ts';
import type { Db } from './schema.ts';
import { MIGRATION_NAMES, migrateToLatest } from './migrations.ts';

const TABLES = [
  'assignments',
  'class_pupils',
  'classes',
  'devices',
  'files',
  'schools',
  'sealing_keys',
  'sessions',
  'signing_keys',
  'submission_versions',
  'submissions',
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
