/** The signed-in account of this device, kept in IndexedDB so the app knows its pupil with no network. */
import type { CartableDb, SessionRecord } from './db.ts';

export class SessionStore {
  constructor(private readonly db: CartableDb) {}
  async get(): Promise<SessionRecord | undefined> {
    return this.db.get('session', 'current');
  }
  async put(session: Omit<SessionRecord, 'id'>): Promise<void> {
    await this.db.put('session', { ...session, id: 'current' });
  }
  async clear(): Promise<void> {
    await this.db.delete('session', 'current');
  }
}
