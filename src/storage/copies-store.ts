/**
 * The copies of an assignment a teacher opened, kept on her device so she can read and return them with no network
 * (the return goes through her outbox). Sealed to her profile like a pupil's records: a shared computer in the
 * staff room keeps one teacher's pupils' work from the next.
 */
import type { AssignmentSubmissionsReply } from '../protocol/schemas.ts';
import { openJson, sealJson } from './crypto-box.ts';
import type { CartableDb } from './db.ts';
import type { Sealing } from './record-sealing.ts';

export const copiesKey = (owner: string, classId: string, week: string, assignmentId: string): string =>
  `${owner}/${classId}/${week}/${assignmentId}`;

export class CopiesStore {
  constructor(
    private readonly db: CartableDb,
    private readonly sealing?: Sealing,
  ) {}

  async save(key: string, owner: string, reply: AssignmentSubmissionsReply, savedAt: number): Promise<void> {
    const publicKey = await this.sealing?.publicKeyOf(owner);
    await this.db.put(
      'copies',
      publicKey ? { key, owner, savedAt, sealed: await sealJson(publicKey, reply) } : { key, owner, savedAt, reply },
    );
  }

  /** The copies as last saved, and when; undefined when none were or the owner's profile is locked here. */
  async get(key: string): Promise<{ reply: AssignmentSubmissionsReply; savedAt: number } | undefined> {
    const stored = await this.db.get('copies', key);
    if (!stored) return undefined;
    if (stored.reply) return { reply: stored.reply as AssignmentSubmissionsReply, savedAt: stored.savedAt };
    const privateKey = stored.sealed && this.sealing?.keyring.get(stored.owner);
    if (!privateKey || !stored.sealed) return undefined;
    return { reply: await openJson<AssignmentSubmissionsReply>(privateKey, stored.sealed), savedAt: stored.savedAt };
  }
}
