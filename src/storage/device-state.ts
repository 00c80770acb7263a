/**
 * What the app's screens read and keep of the device's own state, as one port: the prefetch state of a class (its
 * policy, its next check), the server's keys. Screens get this, never the raw database.
 */
import type { SyncPolicy } from '../sync/slot-planner.ts';
import type { PrefetchState } from '../sync/prefetch.ts';
import type { CartableDb, ServerSealingKey } from './db.ts';
import { IdbKeyStore } from './idb-stores.ts';

export class DeviceState {
  readonly keys: IdbKeyStore;
  constructor(private readonly db: CartableDb) {
    this.keys = new IdbKeyStore(db);
  }

  async prefetch(classId: string): Promise<PrefetchState | undefined> {
    return this.db.get('prefetch', classId);
  }

  /** The school's policy as last fetched with a week check; undefined before the first. */
  async policy(classId: string): Promise<SyncPolicy | undefined> {
    return (await this.prefetch(classId))?.policy;
  }

  /** The server's sealing key, with which a shared device seals each pupil's homework. */
  async keepSealingKey(key: Omit<ServerSealingKey, 'key'>): Promise<void> {
    await this.db.put('device', { ...key, key: 'sealing' });
  }
}
