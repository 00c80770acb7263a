/** Reads what the server stored, straight from its SQLite file (read-only; WAL lets it run beside the server). */
import { join } from 'node:path';
import Database from 'better-sqlite3';

export function storedSubmissions(dataDir: string): { id: string; pupil_id: string; text: string; files: string }[] {
  const db = new Database(join(dataDir, 'cartable.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select id, pupil_id, text, files from submissions order by received_at').all() as {
      id: string;
      pupil_id: string;
      text: string;
      files: string;
    }[];
  } finally {
    db.close();
  }
}

export function storedUploads(dataDir: string): { sha256: string; size: number }[] {
  const db = new Database(join(dataDir, 'cartable.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select sha256, size from uploads').all() as { sha256: string; size: number }[];
  } finally {
    db.close();
  }
}
