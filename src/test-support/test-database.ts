/**
 * A fresh database for one test: a temporary SQLite file by default, or, when TEST_BACKEND=postgres, a new schema in
 * the PostgreSQL at TEST_DATABASE_URL (dropped afterwards). The server tests run once per backend.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type Backend, openDatabase } from '../server/db/connect.ts';
import type { Db } from '../server/db/schema.ts';

export const TEST_BACKEND: Backend = process.env.TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

export interface TestDatabase {
  backend: Backend;
  /** A folder for files (and for SQLite's file). */
  dir: string;
  /** The environment that points a server process at this database. */
  env: Record<string, string>;
  open(): Promise<Db>;
  dispose(): Promise<void>;
}

/** The PostgreSQL URL with its search_path set to `schema`. */
function withSchema(base: string, schema: string): string {
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'cartable-test-'));
  const sqlitePath = join(dir, 'cartable.sqlite');
  if (TEST_BACKEND === 'sqlite') {
    return {
      backend: 'sqlite',
      dir,
      env: { DATA_DIR: dir },
      open: async () => (await openDatabase({ sqlitePath })).db,
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base)
    throw new Error('TEST_BACKEND=postgres needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  const schema = `cartable_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const databaseUrl = withSchema(base, schema);
  return {
    backend: 'postgres',
    dir,
    env: { DATA_DIR: dir, DATABASE_URL: databaseUrl },
    open: async () => (await openDatabase({ databaseUrl, sqlitePath, poolSize: 4 })).db,
    dispose: async () => {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
