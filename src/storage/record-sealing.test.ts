// A shared tablet's storage: what another pupil (or a thief reading IndexedDB) finds of a pupil who has left.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { openSealed } from '../server/sealing.ts';
import type { OutboxItem } from '../sync/ports.ts';
import { sealedDevice } from '../test-support/sealed-device.ts';
import { DraftStore, draftKey } from './drafts.ts';
import { IdbOutboxStore } from './idb-outbox.ts';
import { PIN_ATTEMPTS, PIN_LOCK_MS, ProfileStore } from './profiles.ts';

const SECRET_TEXT = 'Ma rédaction sur les volcans, très personnelle';
const photo = new TextEncoder().encode('JPEG bytes of a page of exercises');
const file = { sha256: 'a'.repeat(64), name: 'cahier-lea.jpg', type: 'image/jpeg', size: photo.byteLength };
const item = (id: string, owner: string): OutboxItem => ({
  id,
  owner,
  classId: 'cm2-b',
  week: '2026-W48',
  assignmentId: 'redaction',
  assignmentTitle: 'Rédaction',
  text: SECRET_TEXT,
  files: [file],
  submittedAt: '2026-11-24T19:00:00.000Z',
  createdAt: 1,
  state: 'pending',
  attempts: 0,
});

/** Every byte IndexedDB holds for these stores, as text: what someone reading the disk would see. */
async function everythingStored(db: Awaited<ReturnType<typeof sealedDevice>>['db']): Promise<string> {
  const dump: unknown[] = [];
  for (const store of ['outbox', 'sealedFiles', 'drafts', 'profiles'] as const) dump.push(await db.getAll(store));
  return JSON.stringify(dump, (_k, v: unknown) =>
    v instanceof ArrayBuffer || v instanceof Uint8Array ? new TextDecoder().decode(v) : v,
  );
}

describe('records sealed to their pupil', () => {
  it('keeps no word of a queued homework, its file or its draft in clear, and the server opens what is sent', async () => {
    const device = await sealedDevice('sealed-1');
    await device.signIn('lea', '1234');
    const drafts = new DraftStore(device.db, device.sealing);
    const outbox = new IdbOutboxStore(device.db, device.sealing);
    await drafts.save({
      key: draftKey('lea', 'cm2-b', '2026-W48', 'autre'),
      owner: 'lea',
      text: SECRET_TEXT,
      files: [],
      updatedAt: 1,
    });
    await outbox.add(item('i1', 'lea'), [{ sha256: file.sha256, type: file.type, bytes: photo }]);
    const disk = await everythingStored(device.db);
    for (const secret of ['volcans', 'cahier-lea', 'JPEG bytes', 'Rédaction', 'access-lea', 'refresh-lea'])
      expect(disk).not.toContain(secret);
    // What leaves the device is what the server can read, and only it.
    const sent = await outbox.get('i1');
    const wire = sent?.wire;
    if (!wire) throw new Error('not sealed');
    const body = JSON.parse((await openSealed(device.serverKeys, `${wire.key}.${wire.bodyIv}`, wire.body)).toString());
    expect(body).toMatchObject({ text: SECRET_TEXT, assignmentId: 'redaction', files: [{ name: 'cahier-lea.jpg' }] });
  });

  it('opens each sealed record once per key: reading the queue again costs no agreement, and a key gone opens nothing', async () => {
    const device = await sealedDevice('sealed-once');
    await device.signIn('lea', '1234');
    const outbox = new IdbOutboxStore(device.db, device.sealing);
    for (let i = 0; i < 5; i++) await outbox.add({ ...item(`o${i}`, 'lea'), files: [] }, []);
    const agreements = vi.spyOn(crypto.subtle, 'deriveBits');
    try {
      const first = await outbox.list();
      const afterFirst = agreements.mock.calls.length;
      expect(afterFirst).toBeGreaterThanOrEqual(5);
      const again = await outbox.list();
      expect(agreements.mock.calls.length).toBe(afterFirst);
      expect(again.map((e) => e.ok && e.item.text)).toEqual(first.map((e) => e.ok && e.item.text));
      expect(again.every((e) => e.ok && e.item.text === SECRET_TEXT)).toBe(true);
      // Léa's turn ends: what was opened with her key is not reachable without it.
      device.keyring.clear();
      await device.signIn('hugo', '9876');
      const hugo = await outbox.list();
      expect(hugo.every((e) => e.ok && e.item.locked === true && e.item.text === '')).toBe(true);
    } finally {
      agreements.mockRestore();
    }
  });

  it('shows a locked pupil’s work to nobody, still lets the runner send it, and seals its receipt for them', async () => {
    const device = await sealedDevice('sealed-2');
    const leaKey = await device.signIn('lea', '1234');
    const outbox = new IdbOutboxStore(device.db, device.sealing);
    await outbox.add(item('i1', 'lea'), [{ sha256: file.sha256, type: file.type, bytes: photo }]);
    device.keyring.clear(); // Léa taps "Changer d'élève"; Hugo signs in.
    await device.signIn('hugo', '9876');
    const seen = await outbox.get('i1');
    expect(seen).toMatchObject({ locked: true, text: '', assignmentTitle: '', owner: 'lea' });
    expect(seen?.files[0]?.name).toBe('');
    // The runner's moves work on the locked item; the receipt is sealed to Léa, not kept in clear.
    const receipt = { payload: '{"submissionId":"i1"}', signature: 'sig', receivedAt: '2026-11-24T19:01:00.000Z' };
    await outbox.update('i1', (i) => ({ ...i, state: 'sending', attempts: 1 }));
    await outbox.update('i1', (i) => ({ ...i, state: 'received', receipt }));
    expect(await everythingStored(device.db)).not.toContain('submissionId');
    expect(await outbox.get('i1')).toMatchObject({ state: 'received', locked: true });
    expect((await outbox.get('i1'))?.receipt).toBeUndefined();
    // Léa comes back: her text and receipt are hers again.
    device.keyring.clear();
    device.keyring.set('lea', leaKey);
    expect(await outbox.get('i1')).toMatchObject({ state: 'received', text: SECRET_TEXT, receipt });
  });

  it('lets only the owner take a pending item back to edit it, with its file', async () => {
    const device = await sealedDevice('sealed-3');
    await device.signIn('lea', '1234');
    const drafts = new DraftStore(device.db, device.sealing);
    const outbox = new IdbOutboxStore(device.db, device.sealing);
    const key = draftKey('lea', 'cm2-b', '2026-W48', 'redaction');
    await drafts.submit(key, item('i1', 'lea'), [{ sha256: file.sha256, type: file.type, bytes: photo }]);
    device.keyring.clear();
    expect(await drafts.edit('i1', key)).toBe(false);
    expect(await outbox.get('i1')).toBeDefined();
    await device.signIn('lea', '1234');
    expect(await drafts.edit('i1', key)).toBe(true);
    const draft = await drafts.get(key);
    expect(draft?.text).toBe(SECRET_TEXT);
    expect(new TextDecoder().decode(draft?.files[0]?.bytes)).toBe('JPEG bytes of a page of exercises');
    expect(await device.db.count('sealedFiles')).toBe(0);
  });
});

describe('profile PINs', () => {
  it('reopens with the right PIN, locks after five wrong ones without erasing anything, then opens again', async () => {
    let now = 1_000_000;
    const device = await sealedDevice('pin-1');
    await device.signIn('lea', '1234');
    const profiles = new ProfileStore(device.db, () => now);
    const drafts = new DraftStore(device.db, device.sealing);
    const key = draftKey('lea', 'cm2-b', '2026-W48', 'a');
    await drafts.save({ key, owner: 'lea', text: 'brouillon', files: [], updatedAt: 1 });
    device.keyring.clear();

    for (let i = 1; i < PIN_ATTEMPTS; i++)
      expect(await profiles.unlock('lea', '0000')).toEqual({
        ok: false,
        reason: 'wrong-pin',
        attemptsLeft: PIN_ATTEMPTS - i,
      });
    expect(await profiles.unlock('lea', '0000')).toEqual({ ok: false, reason: 'locked', until: now + PIN_LOCK_MS });
    // Locked: even the right PIN waits.
    expect(await profiles.unlock('lea', '1234')).toMatchObject({ ok: false, reason: 'locked' });
    now += PIN_LOCK_MS;
    const opened = await profiles.unlock('lea', '1234');
    if (!opened.ok) throw new Error('should open');
    device.keyring.set('lea', opened.key);
    expect((await drafts.get(key))?.text).toBe('brouillon');
    expect(await profiles.tokens(opened.profile, opened.key)).toMatchObject({
      token: 'access-lea',
      refreshToken: 'refresh-lea',
    });
  });

  it('lets the card (checked by the server) reset a forgotten PIN and keeps the pupil’s drafts readable', async () => {
    const device = await sealedDevice('pin-2');
    await device.signIn('lea', '1234');
    const drafts = new DraftStore(device.db, device.sealing);
    const key = draftKey('lea', 'cm2-b', '2026-W48', 'a');
    await drafts.save({ key, owner: 'lea', text: 'brouillon', files: [], updatedAt: 1 });
    device.keyring.clear();
    await device.signIn('lea', '5555'); // same card secret, new PIN
    expect((await drafts.get(key))?.text).toBe('brouillon');
    expect(await device.profiles.unlock('lea', '1234')).toMatchObject({ ok: false, reason: 'wrong-pin' });
    expect(await device.profiles.unlock('lea', '5555')).toMatchObject({ ok: true });
  });
});
