/**
 * Bundled by bench:outbox (esbuild) and run in the page: queues `count` homework items for the signed-in pupil the
 * way the app does (storage/idb-outbox.ts queueWork: sealed to the pupil's profile at rest and to the server on the
 * wire), so the sealed drain is measured on records the real code made. Exposes `cartableBenchQueueSealed`.
 */
import { openCartableDb } from '../../src/storage/db.ts';
import { queueWork } from '../../src/storage/idb-outbox.ts';
import { Keyring } from '../../src/storage/profiles.ts';
import { dbSealing } from '../../src/storage/record-sealing.ts';

async function queueSealed(count: number, prefix: string): Promise<number> {
  const db = await openCartableDb();
  const profile = (await db.getAll('profiles'))[0];
  const week = (await db.getAll('weeks'))[0];
  const assignment = week?.manifest.assignments[0];
  if (!profile || !week || !assignment) throw new Error('sign in and install a week first');
  // Sealing needs only public keys (the pupil's profile, the server's): the keyring stays empty.
  const sealing = dbSealing(db, new Keyring());
  const now = Date.now();
  let last = '';
  for (let i = 0; i < count; i++) {
    last = crypto.randomUUID();
    await queueWork(
      db,
      sealing,
      {
        id: last,
        owner: profile.userId,
        classId: week.manifest.classId,
        week: week.manifest.week,
        assignmentId: assignment.id,
        assignmentTitle: assignment.title,
        text: `${prefix} ${i}: ${'une réponse écrite hors ligne. '.repeat(4)}`,
        files: [],
        submittedAt: new Date(now - (count - i) * 1000).toISOString(),
        createdAt: now - (count - i) * 1000,
        state: 'pending',
        attempts: 0,
      },
      [],
    );
  }
  const record = (await db.get('outbox', last)) as { vault?: unknown; wire?: unknown } | undefined;
  db.close();
  if (!record?.vault || !record.wire) throw new Error('the queued items were not sealed');
  return count;
}

(globalThis as { cartableBenchQueueSealed?: typeof queueSealed }).cartableBenchQueueSealed = queueSealed;
