// The sender contract: every kind of queued write (homework, publication, return of a copy, read mark) is delivered
// by the same drain loop, once, and settled the same way against the in-memory fake server and the real one. A
// second delivery of the same item (a lost answer, a crash in `sending`) stores nothing twice.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, MemoryOutboxStore, MemorySyncStateStore, SeededRandom } from '../sync/fakes.ts';
import { drainOutbox } from '../sync/outbox.ts';
import { kindOf, type OutboxItem, type StoredFile, type Transport } from '../sync/ports.ts';
import { encodePng } from './seed/media.ts';
import { FakeHomeworkServer } from '../test-support/fake-homework-server.ts';
import { injectTransport } from '../test-support/inject-transport.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const WEEK = '2026-W48';

interface Target {
  name: string;
  transport: Transport;
  /** The bearer token of a demo account on this server. */
  token: (owner: 'lea' | 'mme.martin') => string;
  /** How many times the server stored this write (rows, or the fake's entries). */
  stored: (item: OutboxItem) => Promise<number>;
  /** The files a stored return names. */
  returnedFiles: (item: OutboxItem) => Promise<unknown[]>;
}

let real: TestServer;
const realTokens = new Map<string, string>();
const fake = new FakeHomeworkServer();
fake.tokens.set('token-martin', 'mme.martin');

const targets: Target[] = [
  {
    name: 'the fake server',
    transport: { send: (r) => fake.handle(r) },
    token: (owner) => (owner === 'lea' ? 'token-lea' : 'token-martin'),
    returnedFiles: async (item) => {
      const body = fake.feedback.get(item.id)?.body;
      return body ? ((JSON.parse(body) as { files?: unknown[] }).files ?? []) : [];
    },
    stored: async (item) => {
      const kind = kindOf(item);
      if (kind === 'homework') return fake.submissions.has(item.id) ? 1 : 0;
      if (kind === 'feedback') return fake.feedback.has(item.id) ? 1 : 0;
      if (kind === 'seen') return fake.seen.has(item.seen?.feedbackId ?? '') ? 1 : 0;
      return 0;
    },
  },
  {
    name: 'the real server',
    get transport() {
      return injectTransport(real.app);
    },
    token: (owner) => realTokens.get(owner) ?? '',
    returnedFiles: async (item) => {
      const row = await real.ctx.db.selectFrom('feedback').select('files').where('id', '=', item.id).executeTakeFirst();
      return row ? (JSON.parse(row.files) as unknown[]) : [];
    },
    stored: async (item) => {
      const db = real.ctx.db;
      const kind = kindOf(item);
      if (kind === 'homework')
        return (await db.selectFrom('submissions').select('id').where('id', '=', item.id).execute()).length;
      if (kind === 'feedback')
        return (await db.selectFrom('feedback').select('id').where('id', '=', item.id).execute()).length;
      if (kind === 'seen')
        return (
          await db
            .selectFrom('feedback')
            .select('id')
            .where('id', '=', item.seen?.feedbackId ?? '')
            .where('seen_at', 'is not', null)
            .execute()
        ).length;
      return (await db.selectFrom('week_versions').select('version').where('publish_id', '=', item.id).execute())
        .length;
    },
  },
];

beforeAll(async () => {
  real = await startTestServer();
  realTokens.set('lea', await real.signIn('lea'));
  realTokens.set('mme.martin', await real.signIn('mme.martin'));
});
afterAll(async () => real.close());

const envelope = (owner: string, overrides: Partial<OutboxItem>): OutboxItem => ({
  id: randomUUID(),
  owner,
  classId: DEMO_CLASS_ID,
  week: WEEK,
  assignmentId: 'exercices-fractions',
  assignmentTitle: 'Exercices',
  text: '',
  files: [],
  submittedAt: '2026-11-25T08:30:00.000Z',
  createdAt: Date.parse('2026-11-25T08:59:50Z'),
  state: 'pending',
  attempts: 0,
  ...overrides,
});

/** Drains `items` through the real loop, then sends each once more as if its answer had been lost. */
async function deliver(
  target: Target,
  items: OutboxItem[],
  files: StoredFile[] = [],
): Promise<{ first: OutboxItem[]; again: OutboxItem[] }> {
  const outbox = new MemoryOutboxStore();
  for (const item of items)
    await outbox.add(
      item,
      files.filter((f) => item.files.some((r) => r.sha256 === f.sha256)),
    );
  const deps = {
    transport: target.transport,
    outbox,
    syncState: new MemorySyncStateStore(),
    clock: new FakeClock(Date.parse('2026-11-25T09:00:00Z')),
    random: new SeededRandom(7),
    credentials: async (owner: string) => target.token(owner as 'lea' | 'mme.martin'),
  };
  const read = async () => (await outbox.list()).flatMap((e) => (e.ok ? [e.item] : []));
  expect(await drainOutbox(deps)).toMatchObject({ kind: 'drained', sent: items.length });
  const first = await read();
  for (const item of first) await outbox.update(item.id, (i) => ({ ...i, state: 'sending' }));
  await drainOutbox(deps);
  return { first, again: await read() };
}

for (const target of targets) {
  describe(`every sender, against ${target.name}`, () => {
    it('delivers homework, then its teacher’s return, then the pupil’s read mark, each once', async () => {
      const homework = envelope('lea', { kind: 'homework', text: '3/4 + 1/4 = 1' });
      const handedIn = await deliver(target, [homework]);
      expect(handedIn.first[0]).toMatchObject({ state: 'received', receipt: { signature: expect.any(String) } });
      expect(handedIn.again[0]?.receipt).toEqual(handedIn.first[0]?.receipt);

      const feedback = envelope('mme.martin', {
        kind: 'feedback',
        text: 'Bien, revois le 3.',
        feedback: {
          submissionId: homework.id,
          pupilName: 'Léa Dubois',
          comment: 'Bien, revois le 3.',
          assessment: { kind: 'mark', mark: 8, outOf: 10 },
          writtenAt: '2026-11-25T10:00:00.000Z',
        },
      });
      const returned = await deliver(target, [feedback]);
      expect(returned.first[0]).toMatchObject({ state: 'received', published: { version: 1 } });
      expect(returned.again[0]).toMatchObject({ state: 'received', published: { version: 1 } });

      const seen = envelope('lea', {
        kind: 'seen',
        seen: { feedbackId: feedback.id, seenAt: '2026-11-25T18:00:00.000Z' },
      });
      const read = await deliver(target, [seen]);
      expect(read.again[0]?.state).toBe('received');
      for (const item of [homework, feedback, seen]) expect(await target.stored(item)).toBe(1);
    });

    it('sends a return’s annotated copy first, then the return naming it', async () => {
      const homework = envelope('lea', { kind: 'homework', text: 'Ma copie' });
      await deliver(target, [homework]);
      const bytes = encodePng(3, 3, () => [255, 0, Math.floor(Math.random() * 255), 255]);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const ref = { sha256, name: 'annotee.png', type: 'image/png', size: bytes.byteLength };
      const feedback = envelope('mme.martin', {
        kind: 'feedback',
        files: [ref],
        feedback: {
          submissionId: homework.id,
          pupilName: 'Léa Dubois',
          comment: 'Voir la photo.',
          assessment: { kind: 'none' },
          writtenAt: '2026-11-25T10:00:00.000Z',
        },
      });
      const { again } = await deliver(target, [feedback], [{ sha256, type: 'image/png', bytes }]);
      expect(again[0]).toMatchObject({ state: 'received', published: { version: 1 } });
      expect(await target.returnedFiles(feedback)).toEqual([ref]);
    });

    it('settles a read mark of a return that is not the pupil’s as refused, not as a retry', async () => {
      const seen = envelope('lea', {
        kind: 'seen',
        seen: { feedbackId: randomUUID(), seenAt: '2026-11-25T18:00:00.000Z' },
      });
      const { first } = await deliver(target, [seen]);
      expect(first[0]).toMatchObject({ state: 'refused', refusal: { status: 404 } });
    });
  });
}

describe('records queued before kinds existed', () => {
  it('are read as homework, or as a publication when they carry one', () => {
    const old = envelope('lea', {});
    expect(kindOf(old)).toBe('homework');
    expect(kindOf({ ...old, publication: { lessons: [], assignments: [], baseVersion: 0 } })).toBe('publication');
  });
});
