/**
 * Opens the server database: SQLite on disk by default (nothing to install), PostgreSQL when a URL is given. Both go
 * through the same Kysely query layer and the same migrations, so routes do not know which one they talk to.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, sql } from 'kysely';
import { Pool } from 'pg';
import { migrateToLatest } from './migrations.ts';
import type { Database, Db } from './schema.ts';

export type Backend = 'sqlite' | 'postgres';

export interface OpenOptions {
  /** postgres://… selects PostgreSQL; absent, SQLite at `sqlitePath`. */
  databaseUrl?: string | undefined;
  sqlitePath: string;
  /** PostgreSQL connections per server process. */
  poolSize?: number;
  /**
   * SQLite's synchronous setting: FULL (a commit is on disk before any 2xx). OFF exists only so that
   * bench:power-loss can show it loses acknowledged work on a power cut (and so that the benchmark can see a loss).
   */
  sqliteSynchronous?: 'FULL' | 'OFF';
}

/** Opens and migrates the database the options name. */
export async function openDatabase(options: OpenOptions): Promise<{ db: Db; backend: Backend }> {
  if (options.databaseUrl)
    return { db: await openPostgres(options.databaseUrl, options.poolSize), backend: 'postgres' };
  return { db: await openSqlite(options.sqlitePath, options.sqliteSynchronous), backend: 'sqlite' };
}

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/**
 * How the database commits, read back from the connection that commits (not the setting asked for): SQLite's
 * synchronous pragma, or PostgreSQL's synchronous_commit. The server says it at start; bench:durable prints it.
 */
export async function commitDurability(db: Db, backend: Backend): Promise<string> {
  if (backend === 'sqlite') {
    const row = (await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0];
    return `synchronous=${SYNCHRONOUS_NAMES[row?.synchronous ?? -1] ?? String(row?.synchronous)}`;
  }
  const row = (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0];
  return `synchronous_commit=${row?.synchronous_commit ?? '?'}`;
}

/**
 * Kysely's SQLite driver prepares every statement anew; the same few statements run on every request, and preparing
 * them was a tenth of the server's time under load (bench:durable's profile). Reused statements are safe here: the
 * driver runs one statement to completion at a time (Cartable streams no query).
 */
export function withStatementCache(sqlite: SQLite.Database, maxStatements = 500): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (!statement) {
        statement = sqlite.prepare(text);
        if (statements.size >= maxStatements) {
          const oldest = statements.keys().next();
          if (!oldest.done) statements.delete(oldest.value);
        }
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

/** Opens (creating the folder and file if needed) and migrates the SQLite database at `path`. */
export async function openSqlite(path: string, synchronous: 'FULL' | 'OFF' = 'FULL'): Promise<Db> {
  mkdirSync(dirname(path), { recursive: true });
  // Several instances may start together on one file. Kysely's migration lock does not reach across processes on
  // SQLite, and switching a new file to WAL needs it alone: an exclusive transaction on a small lock database beside
  // it makes the whole first-time setup (journal mode, migrations) take turns.
  const lock = new SQLite(`${path}.migrate-lock`);
  lock.pragma('busy_timeout = 60000');
  lock.exec('BEGIN EXCLUSIVE');
  try {
    const sqlite = new SQLite(path);
    // First, so that every statement below waits for another process's lock instead of failing at once.
    sqlite.pragma('busy_timeout = 5000');
    // WAL lets readers run beside the writer; synchronous=FULL means a commit is on disk before any 2xx.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${synchronous === 'OFF' ? 'OFF' : 'FULL'}`);
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    await migrateToLatest(db as Kysely<unknown>);
    return db;
  } finally {
    lock.exec('COMMIT');
    lock.close();
  }
}

/** Opens and migrates PostgreSQL (commits are durable by default: synchronous_commit stays on). */
export async function openPostgres(url: string, poolSize = 10): Promise<Db> {
  const pool = new Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db as Kysely<unknown>);
  return db;
}
