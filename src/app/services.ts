/** The app's real adapters, built once: the device database, the stores and the transport. */
import { type CartableDb, openCartableDb } from '../storage/db.ts';
import { FetchTransport, webHasher } from '../storage/fetch-transport.ts';
import { IdbFileStore, IdbWeekStore } from '../storage/idb-stores.ts';
import { SessionStore } from '../storage/session-store.ts';
import type { Clock, Hasher, Transport } from '../sync/ports.ts';

export interface Services {
  db: CartableDb;
  weeks: IdbWeekStore;
  files: IdbFileStore;
  session: SessionStore;
  transport: Transport;
  hasher: Hasher;
  clock: Clock;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Opens the device database and wires the adapters. Rejects when the browser refuses IndexedDB. */
export async function openServices(): Promise<Services> {
  const db = await openCartableDb();
  return {
    db,
    weeks: new IdbWeekStore(db),
    files: new IdbFileStore(db),
    session: new SessionStore(db),
    transport: new FetchTransport(),
    hasher: webHasher,
    clock: realClock,
  };
}
