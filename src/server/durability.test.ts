// A 2xx means on disk: submissions acknowledged just before a SIGKILL are all in the database afterwards.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submissionUrl } from '../protocol/paths.ts';
import { spawnServer } from '../test-support/server-process.ts';
import { createTestDatabase, type TestDatabase } from '../test-support/test-database.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.dispose());

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lea', secret: 'soleil-12' }),
  });
  return ((await res.json()) as { token: string }).token;
}

describe('durability', () => {
  it('keeps every acknowledged submission across SIGKILL right after the answer', { timeout: 120_000 }, async () => {
    const acknowledged: string[] = [];
    let week = '';
    for (let round = 0; round < 3; round++) {
      const server = await spawnServer(database.env);
      const token = await signIn(server.url);
      if (!week) {
        const weeks = (await (
          await fetch(`${server.url}/api/classes/${DEMO_CLASS_ID}/weeks`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).json()) as {
          weeks: { week: string }[];
        };
        week = weeks.weeks[0]?.week ?? '';
      }
      let killed: Promise<void> | undefined;
      const sends = Array.from({ length: 20 }, async (_, i) => {
        const id = randomUUID();
        try {
          const res = await fetch(`${server.url}${submissionUrl(id)}`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              classId: DEMO_CLASS_ID,
              week,
              assignmentId: 'exercices-fractions',
              text: `round ${round}, item ${i}`,
              files: [],
              submittedAt: new Date().toISOString(),
            }),
          });
          if (res.status === 201) {
            acknowledged.push(id);
            killed ??= server.kill(); // the moment the first acknowledgement arrives
          }
        } catch {
          // cut off by the kill: not acknowledged, so the device would send it again
        }
      });
      await Promise.all(sends);
      await (killed ?? server.kill());
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(3);
    const db = await database.open();
    try {
      const rows = await db.selectFrom('submissions').select('id').where('id', 'in', acknowledged).execute();
      expect(rows.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
    } finally {
      await db.destroy();
    }
  });
});
