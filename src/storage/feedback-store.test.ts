import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { FeedbackView } from '../protocol/schemas.ts';
import { response } from '../sync/fakes.ts';
import type { TransportRequest } from '../sync/ports.ts';
import { generateProfileKeys, sealJson } from './crypto-box.ts';
import { openCartableDb } from './db.ts';
import {
  FeedbackStore,
  fetchReturnedFiles,
  fetchSealedReturns,
  openReturnedFile,
  pendingOf,
  seenItem,
} from './feedback-store.ts';
import { Keyring } from './profiles.ts';

const RETURN: FeedbackView = {
  feedbackId: '00000000-0000-4000-8000-000000000010',
  submissionId: '00000000-0000-4000-8000-000000000001',
  classId: 'cm2-b',
  week: '2026-W48',
  assignmentId: 'exercices-fractions',
  version: 1,
  comment: 'Refais l’exercice 3.',
  assessment: { kind: 'level', level: 'en_cours' },
  returnedAt: '2026-11-25T10:00:00.000Z',
  files: [],
};

/** A server answering the list with an ETag, and 304 to it. */
function server(list: FeedbackView[], etag = '"f-1"') {
  const requests: TransportRequest[] = [];
  return {
    requests,
    send: async (r: TransportRequest) => {
      requests.push(r);
      if (r.headers?.['if-none-match'] === etag) return response(304);
      return response(200, { feedback: list }, { etag });
    },
  };
}

describe('FeedbackStore', () => {
  it('fetches once, then revalidates with the ETag and pays a 304 while nothing changed', async () => {
    const store = new FeedbackStore(await openCartableDb('feedback-plain'));
    const s = server([RETURN]);
    expect(await store.fetch(s, 'lea', 1, ['cm2-b/2026-W48/redaction'])).toBe('changed');
    expect(s.requests[0]?.headers?.['cartable-pending']).toBe('cm2-b/2026-W48/redaction');
    expect(await store.list('lea')).toEqual([RETURN]);
    expect(await store.fetch(s, 'lea', 2)).toBe('unchanged');
    expect(s.requests.map((r) => r.headers?.['if-none-match'])).toEqual([undefined, '"f-1"']);
    // Nothing said of the queue when the caller did not count it.
    expect(s.requests[1]?.headers?.['cartable-pending']).toBeUndefined();
    expect(
      pendingOf(
        [
          { ...seenItem('lea', RETURN, new Date()), kind: 'homework', assignmentId: 'redaction' },
          { ...seenItem('lea', RETURN, new Date()), id: 'x', kind: 'homework', state: 'received' },
          { ...seenItem('hugo', RETURN, new Date()), id: 'y', kind: 'homework' },
          seenItem('lea', { ...RETURN, feedbackId: 'other' }, new Date()),
        ],
        'lea',
      ),
    ).toEqual(['cm2-b/2026-W48/redaction']);
    expect(await store.fetch({ send: () => Promise.reject(new Error('offline')) }, 'lea', 3)).toBe('offline');
    expect(await store.list('lea')).toEqual([RETURN]);
  });

  it('keeps a profile’s returns sealed: unreadable while it is locked, and then fetched whole again', async () => {
    const db = await openCartableDb('feedback-sealed');
    const keys = await generateProfileKeys();
    const keyring = new Keyring();
    const sealing = { keyring, publicKeyOf: async () => keys.publicKey, serverKey: async () => undefined };
    const store = new FeedbackStore(db, sealing);
    keyring.set('lea', keys.privateKey);
    const s = server([RETURN]);
    await store.fetch(s, 'lea', 1);
    const stored = await db.get('feedback', 'lea');
    expect(stored?.feedback).toBeUndefined();
    expect(JSON.stringify(stored)).not.toContain('exercice 3');
    expect(await store.list('lea')).toEqual([RETURN]);
    // Locked (another pupil took the tablet): nothing readable, and no ETag sent for what it cannot read.
    const locked = new FeedbackStore(db, { ...sealing, keyring: new Keyring() });
    expect(await locked.list('lea')).toBeUndefined();
    await locked.fetch(s, 'lea', 2);
    expect(s.requests[1]?.headers?.['if-none-match']).toBeUndefined();
  });

  it('makes one read mark per return: the same id however often it is opened', () => {
    const a = seenItem('lea', RETURN, new Date('2026-11-25T18:00:00Z'));
    const b = seenItem('lea', RETURN, new Date('2026-11-26T18:00:00Z'));
    expect(a.id).toBe(b.id);
    expect(a).toMatchObject({
      kind: 'seen',
      seen: { feedbackId: RETURN.feedbackId, seenAt: '2026-11-25T18:00:00.000Z' },
    });
  });

  it('stores what a device token fetches sealed, as it came: the profile opens it, a 304 once nothing changed', async () => {
    const db = await openCartableDb('feedback-worker');
    const keys = await generateProfileKeys();
    const requests: TransportRequest[] = [];
    const sealed = await sealJson(keys.publicKey, [RETURN]);
    const transport = {
      send: async (r: TransportRequest) => {
        requests.push(r);
        if (r.headers?.['if-none-match'] === '"fs-1"') return response(304);
        return response(200, { sealed }, { etag: '"fs-1"' });
      },
    };
    const profiles = [
      { userId: 'lea', deviceToken: 'device-lea' },
      { userId: 'hugo', deviceToken: 'device-hugo', deviceRejected: true },
      { userId: 'ines' },
    ];
    expect(await fetchSealedReturns(db, transport, profiles, 1)).toEqual({ lea: 'changed' });
    expect(requests.map((r) => r.headers?.authorization)).toEqual(['Bearer device-lea']);
    expect(JSON.stringify(await db.get('feedback', 'lea'))).not.toContain('exercice 3');
    const keyring = new Keyring();
    keyring.set('lea', keys.privateKey);
    const store = new FeedbackStore(db, {
      keyring,
      publicKeyOf: async () => keys.publicKey,
      serverKey: async () => undefined,
    });
    expect(await store.list('lea')).toEqual([RETURN]);
    expect(await fetchSealedReturns(db, transport, profiles, 2)).toEqual({ lea: 'unchanged' });
  });

  it('keeps a returned file sealed to the profile: opened with its key, unreadable while locked, fetched once', async () => {
    const db = await openCartableDb('feedback-files');
    const keys = await generateProfileKeys();
    const keyring = new Keyring();
    const sealing = { keyring, publicKeyOf: async () => keys.publicKey, serverKey: async () => undefined };
    const photo = new TextEncoder().encode('annotations en rouge');
    const withFile = {
      ...RETURN,
      files: [{ sha256: 'a'.repeat(64), name: 'copie.png', type: 'image/png' as const, size: photo.byteLength }],
    };
    const requests: TransportRequest[] = [];
    const session = {
      send: async (r: TransportRequest) => {
        requests.push(r);
        return { status: 200, headers: { 'content-type': 'image/png' }, body: photo };
      },
    };
    expect(await fetchReturnedFiles(db, session, sealing, 'lea', [withFile])).toBe(1);
    expect(await fetchReturnedFiles(db, session, sealing, 'lea', [withFile])).toBe(0);
    expect(requests.map((r) => r.path)).toEqual([`/api/feedback/${RETURN.feedbackId}/files/${'a'.repeat(64)}`]);
    const stored = await db.get('feedbackFiles', ['lea', 'a'.repeat(64)]);
    expect(new TextDecoder().decode(stored?.bytes)).not.toContain('annotations');
    expect(await openReturnedFile(db, sealing, 'lea', 'a'.repeat(64))).toBeUndefined();
    keyring.set('lea', keys.privateKey);
    expect(new TextDecoder().decode(await openReturnedFile(db, sealing, 'lea', 'a'.repeat(64)))).toBe(
      'annotations en rouge',
    );
  });
});
