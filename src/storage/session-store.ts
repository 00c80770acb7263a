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
  /** The token of `owner` if they are the signed-in pupil and the server still accepts it. */
  async tokenFor(owner: string): Promise<string | undefined> {
    const session = await this.get();
    return session && session.user.id === owner && !session.rejected ? session.token : undefined;
  }
  /** Remembers that the server refused the current token of `owner`. */
  async markRejected(owner: string): Promise<void> {
    const session = await this.get();
    if (session && session.user.id === owner) await this.db.put('session', { ...session, rejected: true });
  }
  async clear(): Promise<void> {
    await this.db.delete('session', 'current');
  }
}
