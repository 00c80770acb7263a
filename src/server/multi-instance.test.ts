// Two server processes on one database (SQLite file or PostgreSQL) behind a client-side "load balancer": stateless
// instances, idempotency across instances, shared rate limits (Redis), and an instance killed mid-drain.
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submissionUrl } from '../protocol/paths.ts';
import { FetchTransport } from '../storage/fetch-transport.ts';
import { FakeClock, MemoryOutboxStore, MemorySyncStateStore, SeededRandom } from '../sync/fakes.ts';
import { drainOutbox } from '../sync/outbox.ts';
import { type OutboxItem, type Transport, TransportError } from '../sync/ports.ts';
import { type ServerProcess, spawnServer } from '../test-support/server-process.ts';
import { createTestDatabase, type TestDatabase } from '../test-support/test-database.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const redisUrl = process.env.TEST_REDIS_URL;
let database: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;
let week = '';

beforeAll(async () => {
  database = await createTestDatabase();
  const env = {
    ...database.env,
    FILES_DIR: join(database.dir, 'shared-files'),
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: `cartable-test:${randomUUID()}:` } : {}),
  };
  // Both start at the same moment: migrations and the demo seed must not trip over each other.
  [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
  const token = await signIn(a.url, 'lea', 'soleil-12');
  const weeks = (await (
    await fetch(`${b.url}/api/classes/${DEMO_CLASS_ID}/weeks`, { headers: bearer(token) })
  ).json()) as {
    weeks: { week: string }[];
  };
  week = weeks.weeks[0]?.week ?? '';
}, 60_000);
afterAll(async () => {
  await Promise.all([a.kill(), b.kill()]);
  await database.dispose();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signIn(url: string, username: string, secret: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, secret }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

const body = (text: string) =>
  JSON.stringify({
    classId: DEMO_CLASS_ID,
    week,
    assignmentId: 'exercices-fractions',
    text,
    files: [],
    submittedAt: '2026-11-25T07:55:00.000Z',
  });

async function storedCount(prefix: string): Promise<{ rows: number; distinct: number }> {
  const db = await database.open();
  try {
    const rows = await db.selectFrom('submissions').select('id').where('text', 'like', `${prefix}%`).execute();
    return { rows: rows.length, distinct: new Set(rows.map((r) => r.id)).size };
  } finally {
    await db.destroy();
  }
}

describe('two instances on one database', () => {
  it('seeded one demo school between them, and a token from one works on the other', async () => {
    const token = await signIn(a.url, 'hugo', 'nuage-34');
    const me = await fetch(`${b.url}/api/me`, { headers: bearer(token) });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { classes: unknown[] }).classes).toHaveLength(1);
    const db = await database.open();
    try {
      expect(await db.selectFrom('schools').select('id').execute()).toHaveLength(1);
    } finally {
      await db.destroy();
    }
  });

  it('stores the same submission PUT to both at once once, with one receipt', async () => {
    const token = await signIn(a.url, 'lea', 'soleil-12');
    const id = randomUUID();
    const put = (url: string) =>
      fetch(`${url}${submissionUrl(id)}`, {
        method: 'PUT',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: body('both at once'),
      });
    const answers = await Promise.all([put(a.url), put(b.url), put(a.url), put(b.url)]);
    expect(answers.map((r) => r.status).sort((x, y) => x - y)).toEqual([200, 200, 200, 201]);
    const receipts = await Promise.all(
      answers.map(async (r) => ((await r.json()) as { receipt: { signature: string } }).receipt.signature),
    );
    expect(new Set(receipts).size).toBe(1);
    expect(await storedCount('both at once')).toEqual({ rows: 1, distinct: 1 });
  });

  it.skipIf(!redisUrl)('shares the sign-in lockout: failures on A and B add up', async () => {
    const wrong = (url: string) =>
      fetch(`${url}/api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ines', secret: `faux-${randomUUID()}` }),
      });
    for (const url of [a.url, b.url, a.url, b.url, a.url]) expect((await wrong(url)).status).toBe(401);
    const locked = await wrong(b.url);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it.skipIf(!redisUrl)('checks at most 5 of 20 guesses raced over A and B at once (one counter in Redis)', async () => {
    const guess = (url: string) =>
      fetch(`${url}/api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'hugo', secret: `faux-${randomUUID()}` }),
      });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => guess(i % 2 ? a.url : b.url)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((c) => c === 401).length).toBe(5);
    expect(statuses.filter((c) => c === 429).length).toBe(15);
  });

  it('answers concurrent writes spread over A and B as sequential ones, never 5xx', { timeout: 60_000 }, async () => {
    const [teacher, pupil, admin] = await Promise.all([
      signIn(a.url, 'mme.martin', 'tableau-noir'),
      signIn(b.url, 'lea', 'soleil-12'),
      signIn(a.url, 'mme.roux', 'craie-blanche'),
    ]);
    const both = (i: number) => (i % 2 ? a.url : b.url);
    const send = (i: number, path: string, init: RequestInit) => fetch(`${both(i)}${path}`, init);
    const problems: string[] = [];
    const check = async (label: string, answers: Response[], allowed: number[]) => {
      for (const r of answers)
        if (!allowed.includes(r.status)) problems.push(`${label}: ${r.status} ${await r.text()}`);
    };
    // Twenty publications of a new week at once, half on each instance, all from base 0: one version, nineteen told
    // to merge with it (409 stale_base), none overwriting another.
    const publishWeek = '2026-W51';
    const published = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(i, `/api/classes/${DEMO_CLASS_ID}/weeks/${publishWeek}/publications/${randomUUID()}`, {
          method: 'PUT',
          headers: { ...bearer(teacher), 'content-type': 'application/json' },
          body: JSON.stringify({ lessons: [], assignments: [], baseVersion: 0 }),
        }),
      ),
    );
    await check('publications', published, [201, 409]);
    const statuses = published.map((r) => r.status).sort((x, y) => x - y);
    expect(statuses).toEqual([201, ...Array.from({ length: 19 }, () => 409)]);
    const versions = await Promise.all(
      published.map(async (r) => (await r.json()) as { version?: number; currentVersion?: number }),
    );
    expect(versions.map((v) => v.version ?? v.currentVersion)).toEqual(Array.from({ length: 20 }, () => 1));
    // One device registered on both at once: one seat; twenty devices: twenty seats.
    const device = randomUUID();
    const seats = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        send(i, `/api/devices/${device}`, { method: 'PUT', headers: bearer(pupil) }),
      ),
    );
    await check('one device', seats, [200]);
    const seatsOfOne = await Promise.all(seats.map(async (r) => ((await r.json()) as { seat: number }).seat));
    expect(new Set(seatsOfOne).size).toBe(1);
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(i, `/api/devices/${randomUUID()}`, { method: 'PUT', headers: bearer(pupil) }),
      ),
    );
    await check('many devices', many, [200]);
    const seatsOfMany = await Promise.all(many.map(async (r) => ((await r.json()) as { seat: number }).seat));
    expect(new Set(seatsOfMany).size).toBe(20);
    // The same homework photo uploaded on both at once: stored once, one 201.
    const photo = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from(randomUUID()),
    ]);
    const photoSha = createHash('sha256').update(photo).digest('hex');
    const uploads = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        send(i, `/api/uploads/${photoSha}`, {
          method: 'PUT',
          headers: { ...bearer(pupil), 'content-type': 'image/png' },
          body: photo,
        }),
      ),
    );
    await check('uploads', uploads, [200, 201]);
    expect(uploads.filter((r) => r.status === 201).length).toBe(1);
    // One class list imported on both at once: every pupil once.
    const csv = ['prenom;nom', ...Array.from({ length: 6 }, (_, i) => `Jumeau${i};Instances`)].join('\n');
    const imports = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        send(i, `/api/classes/${DEMO_CLASS_ID}/pupils/import`, {
          method: 'POST',
          headers: { ...bearer(admin), 'content-type': 'text/csv' },
          body: csv,
        }),
      ),
    );
    await check('imports', imports, [200]);
    const created = (
      await Promise.all(imports.map(async (r) => ((await r.json()) as { created: unknown[] }).created.length))
    ).reduce((x, y) => x + y, 0);
    expect(created).toBe(6);
    // One teacher's account created on both at once: once; one class name: no 5xx, rows as answered.
    const teachers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(i, '/api/school/teachers', {
          method: 'POST',
          headers: { ...bearer(admin), 'content-type': 'application/json' },
          body: JSON.stringify({ firstName: 'Paule', lastName: 'Deux-Instances' }),
        }),
      ),
    );
    await check('teachers', teachers, [201, 409]);
    expect(teachers.filter((r) => r.status === 201).length).toBe(1);
    const classes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(i, '/api/school/classes', {
          method: 'POST',
          headers: { ...bearer(admin), 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'CE2 deux instances', teacherId: 'demo-mme-martin' }),
        }),
      ),
    );
    await check('classes', classes, [201, 409]);
    // A lesson file on both at once: stored once.
    const lessonFile = Buffer.concat([Buffer.from('%PDF-1.4 '), Buffer.from(randomUUID())]);
    const lessonSha = createHash('sha256').update(lessonFile).digest('hex');
    const lessonFiles = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(i, `/api/lesson-files/${lessonSha}`, {
          method: 'PUT',
          headers: { ...bearer(teacher), 'content-type': 'application/pdf' },
          body: lessonFile,
        }),
      ),
    );
    await check('lesson files', lessonFiles, [200, 201]);
    expect(lessonFiles.filter((r) => r.status === 201).length).toBe(1);
    // New cards for one pupil on both at once: all answered (which secret wins is checked on one instance).
    const cards = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(i, '/api/users/demo-ines/card', { method: 'POST', headers: bearer(admin) }),
      ),
    );
    await check('cards', cards, [200]);
    // One refresh token used on both at once: honoured at most once; sign-outs at once: all 204.
    const signedIn = (await (
      await fetch(`${a.url}/api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'mme.martin', secret: 'tableau-noir' }),
      })
    ).json()) as { token: string; refreshToken: string };
    const refreshes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(i, '/api/auth/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: signedIn.refreshToken }),
        }),
      ),
    );
    await check('refresh', refreshes, [200, 401]);
    expect(refreshes.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    const outs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(i, '/api/auth/sign-out', { method: 'POST', headers: bearer(signedIn.token) }),
      ),
    );
    await check('sign-out', outs, [204]);
    expect(problems).toEqual([]);
  });

  it('loses nothing when one instance is killed in the middle of a drain', { timeout: 60_000 }, async () => {
    const token = await signIn(b.url, 'lea', 'soleil-12');
    const backends = [new FetchTransport(a.url), new FetchTransport(b.url)];
    const down = new Set<number>();
    let turn = 0;
    // A load balancer: round robin over live instances; a refused connection takes the instance out.
    const balancer: Transport = {
      async send(request) {
        for (let tries = 0; tries < backends.length; tries++) {
          const i = turn++ % backends.length;
          if (down.has(i)) continue;
          try {
            return await (backends[i] as FetchTransport).send(request);
          } catch (err) {
            if (!(err instanceof TransportError)) throw err;
            down.add(i);
            throw err; // this request failed; the client retries it later
          }
        }
        throw new TransportError('no instance');
      },
    };
    const outbox = new MemoryOutboxStore();
    const items = 40;
    for (let i = 0; i < items; i++) {
      const item: OutboxItem = {
        id: randomUUID(),
        owner: 'lea',
        classId: DEMO_CLASS_ID,
        week,
        assignmentId: 'exercices-fractions',
        assignmentTitle: 'Exercices',
        text: `mid-drain ${i}`,
        files: [],
        submittedAt: '2026-11-25T07:55:00.000Z',
        createdAt: i,
        state: 'pending',
        attempts: 0,
      };
      await outbox.add(item, []);
    }
    let received = 0;
    let killing: Promise<void> | undefined;
    const clock = new FakeClock(Date.now());
    const deps = {
      transport: balancer,
      outbox,
      syncState: new MemorySyncStateStore(),
      clock,
      random: new SeededRandom(3),
      credentials: async () => token,
      onItem: (item: OutboxItem) => {
        if (item.state === 'received' && ++received === 10) killing = a.kill();
      },
      concurrency: 2,
    };
    for (let pass = 0; pass < 20; pass++) {
      const result = await drainOutbox(deps);
      if (result.kind === 'drained' || result.kind === 'idle') break;
      await clock.advance(Math.max(0, (await deps.syncState.getBackoff()).nextAttemptAt - clock.now()));
    }
    await killing;
    const states = (await outbox.list()).map((e) => (e.ok ? e.item.state : 'corrupt'));
    expect(states.filter((s) => s === 'received')).toHaveLength(items);
    expect(down.has(0)).toBe(true);
    expect(await storedCount('mid-drain')).toEqual({ rows: items, distinct: items });
  });
});
