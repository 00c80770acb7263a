// Peak hours learnt from when pupils pressed "Envoyer" over the last school days (SEND_PEAKS=auto).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncPolicyReply } from '../protocol/schemas.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { buildApp } from './app.ts';
import type { SubmissionsTable } from './db/schema.ts';
import { forecastPeaks, peaksFromMinutes } from './peak-forecast.ts';
import { DEFAULT_WINDOW } from './routes/sync.ts';

const SCHOOL = { id: 'demo-jules-ferry', timeZone: 'Europe/Paris' };
const WEEKDAYS = [1, 2, 3, 4, 5];
/** 2 submissions a second: 120 a minute. */
const CAPACITY = 2;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(new Date('2026-11-26T12:00:00Z'));
  const rows: SubmissionsTable[] = [];
  const at = (iso: string, n: number) => {
    for (let i = 0; i < n; i++) {
      rows.push({
        id: randomUUID(),
        pupil_id: 'demo-lea',
        class_id: 'cm2-b',
        week: '2026-W48',
        assignment_id: 'exercices-fractions',
        content_hash: 'h',
        text: 't',
        files: '[]',
        submitted_at: `${iso}:${String(i % 60).padStart(2, '0')}.000Z`,
        received_at: `${iso}:59.000Z`,
        receipt_payload: '{}',
        receipt_signature: 's',
      });
    }
  };
  // Monday to Wednesday, 08:00-08:03 in Paris (07:00 UTC): 240 a minute, twice capacity; 10:00, 30 a minute.
  for (const day of ['2026-11-23', '2026-11-24', '2026-11-25']) {
    for (const minute of ['07:00', '07:01', '07:02']) at(`${day}T${minute}`, 240);
    at(`${day}T09:00`, 30);
  }
  // A Saturday rush (a school trip's photos) is not a school day.
  at('2026-11-21T13:00', 600);
  for (let i = 0; i < rows.length; i += 300)
    await s.ctx.db
      .insertInto('submissions')
      .values(rows.slice(i, i + 300))
      .execute();
});
afterAll(async () => s.close());

describe('peaks learnt from history', () => {
  it('finds the minutes of the school days above capacity and sizes the share and the spread', async () => {
    const peaks = await forecastPeaks(s.ctx.db, SCHOOL, CAPACITY, WEEKDAYS, s.ctx.now());
    // 240 a minute against 120: half is taken as it comes, the other half (3 × 120) spread at 0.95 × 120 a minute.
    expect(peaks).toEqual([
      { start: '08:00', end: '08:03', days: WEEKDAYS, admit: 0.5, spreadSeconds: Math.ceil((0.5 * 2 * 180) / 0.95) },
    ]);
    expect(await forecastPeaks(s.ctx.db, SCHOOL, 10, WEEKDAYS, s.ctx.now())).toEqual([]);
    expect(await forecastPeaks(s.ctx.db, SCHOOL, CAPACITY, WEEKDAYS, new Date('2026-12-20T12:00:00Z'))).toEqual([]);
  });

  it('announces them in the sync policy when SEND_PEAKS=auto', async () => {
    const app = await buildApp(
      { ...s.ctx, offPeak: { ...DEFAULT_WINDOW, learnPeaks: { days: WEEKDAYS } }, capacityPerSecond: CAPACITY },
      { admission: { maxEventLoopDelayMs: 0 } },
    );
    try {
      const token = await s.signIn('lea');
      const res = await app.inject({ url: '/api/sync-policy', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      expect(res.json<SyncPolicyReply>().sendPeaks).toEqual([
        { start: '08:00', end: '08:03', days: WEEKDAYS, admit: 0.5, spreadSeconds: 190 },
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('a peak whose demand is uneven', () => {
  it('admits the share its busiest minute can take, and spreads what is held back of the whole peak', () => {
    // 60 submissions a second for a minute, then 40 a second: capacity 30 a second (1,800 a minute).
    const peaks = peaksFromMinutes(
      [
        { minute: '2026-11-26T07:00', n: 3600 },
        { minute: '2026-11-26T07:01', n: 2400 },
      ],
      'UTC',
      30,
      [4],
    );
    expect(peaks).toHaveLength(1);
    expect(peaks[0]).toMatchObject({ start: '07:00', end: '07:02', admit: 0.5 });
    // Held back: half of 6,000, sent at 0.95 × 30 a second.
    expect(peaks[0]?.spreadSeconds).toBe(Math.ceil(3000 / (0.95 * 30)));
  });
});
