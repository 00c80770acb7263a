import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openCartableDb } from './db.ts';
import { SessionStore } from './session-store.ts';

describe('SessionStore', () => {
  it('keeps one session across reopenings and forgets it on clear', async () => {
    const session = {
      token: 't',
      expiresAt: '2026-12-23T00:00:00.000Z',
      user: { id: 'u1', displayName: 'Léa', role: 'pupil' },
      classes: [{ id: 'cm2-b', name: 'CM2 B', schoolName: 'École', timeZone: 'Europe/Paris' }],
    };
    const first = await openCartableDb('session-test');
    await new SessionStore(first).put(session);
    first.close();
    const second = await openCartableDb('session-test');
    const store = new SessionStore(second);
    expect(await store.get()).toEqual({ ...session, id: 'current' });
    await store.clear();
    expect(await store.get()).toBeUndefined();
  });
});
