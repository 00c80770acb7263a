/**
 * The one signed-in account of devices set up before profiles (DB versions 1-3): read so that work it queued is still
 * sent with its token until that token expires; never written any more (profiles.ts replaced it).
 */
import type { CartableDb, SessionRecord } from './db.ts';

export class LegacySessionStore {
  constructor(private readonly db: CartableDb) {}
  async get(): Promise<SessionRecord | undefined> {
    return this.db.get('session', 'current');
  }
  /** The token of `owner` if they were the signed-in account and the server has not refused it. */
  async tokenFor(owner: string): Promise<string | undefined> {
    const session = await this.get();
    return session && session.user.id === owner && !session.rejected ? session.token : undefined;
  }
  async markRejected(owner: string): Promise<void> {
    const session = await this.get();
    if (session && session.user.id === owner) await this.db.put('session', { ...session, rejected: true });
  }
  async clear(): Promise<void> {
    await this.db.delete('session', 'current');
  }
}
