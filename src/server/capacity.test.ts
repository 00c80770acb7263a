import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityStatus } from '../protocol/schemas.ts';
import { demoHomework } from '../test-support/demo-homework.ts';
import { startTestServer } from '../test-support/server.ts';
import { parseAccessLog } from './access-log.ts';
import { buildApp } from './app.ts';

const readiness = async (app: { inject(url: string): Promise<{ statusCode: number; json(): unknown }> }) => {
  const res = await app.inject('/api/ready');
  expect(res.statusCode).toBe(200);
  return (res.json() as { capacity: CapacityStatus }).capacity;
};

/** Polls until `check` holds (the server's own timers run on real time), at most ~10 s. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 200 && !check(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe('the capacity a server measures', () => {
  it('is SERVER_CAPACITY until measured, then the projection of the writes it served, on /api/ready and in the access log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartable-capacity-'));
    const s = await startTestServer();
    const log = join(dir, 'access.log');
    const app = await buildApp(s.ctx, {
      capacityPerSecond: 7,
      shareCapacityMs: 0,
      accessLog: log,
      admission: { maxEventLoopDelayMs: 0, maxSignInsPerSecond: 0, capacitySampleMs: 200 },
    });
    try {
      expect(await readiness(app)).toEqual({
        writesPerSecond: 7,
        source: 'configured',
        concurrencyLimit: 32,
        deploymentWritesPerSecond: 7,
        instances: 1,
      });
      const token = await s.signIn('lea');
      const write = (i: number) =>
        app.inject({
          method: 'PUT',
          url: `/api/submissions/${crypto.randomUUID()}`,
          headers: { authorization: `Bearer ${token}` },
          payload: demoHomework(`réponse ${i}`),
        });
      // Writes in every sample until the meter has seen some: it then projects from what they cost the loop.
      let i = 0;
      const measured = await until(
        async () => {
          await Promise.all(Array.from({ length: 5 }, () => write(i++)));
          return readiness(app);
        },
        (c) => c.source !== 'configured',
      );
      expect(measured.source).toBe('projected');
      expect(measured.writesPerSecond).toBeGreaterThan(0);
      expect(measured.writesPerSecond).not.toBe(7);
      expect(measured.deploymentWritesPerSecond).toBe(measured.writesPerSecond);
      await app.close();
      const lines = parseAccessLog(readFileSync(log, 'utf8')).filter((l) => l.route === '/api/submissions/:id');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toMatchObject({ status: 201, capacity: 7, slots: 32 });
      expect(lines.some((l) => l.capacity !== 7)).toBe(true);
    } finally {
      await app.close();
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is shared by the instances on one database: each announces the sum, and a closed one leaves it', async () => {
    const s = await startTestServer();
    const options = (capacityPerSecond: number, instanceId: string) => ({
      capacityPerSecond,
      instanceId,
      shareCapacityMs: 25,
      admission: { maxEventLoopDelayMs: 0, maxSignInsPerSecond: 0, capacitySampleMs: 0 },
    });
    const a = await buildApp(s.ctx, options(100, 'a'));
    const b = await buildApp(s.ctx, options(40, 'b'));
    try {
      const both = await until(
        () => readiness(a),
        (c) => c.instances === 2,
      );
      expect(both).toMatchObject({ writesPerSecond: 100, deploymentWritesPerSecond: 140, instances: 2 });
      expect(
        await until(
          () => readiness(b),
          (c) => c.instances === 2,
        ),
      ).toMatchObject({
        writesPerSecond: 40,
        deploymentWritesPerSecond: 140,
      });
      await b.close();
      const alone = await until(
        () => readiness(a),
        (c) => c.instances === 1,
      );
      expect(alone).toMatchObject({ deploymentWritesPerSecond: 100, instances: 1 });
    } finally {
      await a.close();
      await b.close();
      await s.close();
    }
  });

  it('is measured directly while writes wait for a slot, and that figure outlives a restart of the instance', async () => {
    const s = await startTestServer();
    const options = {
      instanceId: 'école-1',
      shareCapacityMs: 50,
      // One slot: writes sent 20 at a time always have some waiting, so every sample is saturated.
      admission: {
        maxEventLoopDelayMs: 0,
        maxSignInsPerSecond: 0,
        capacitySampleMs: 100,
        maxConcurrentWrites: 1,
        adaptiveWrites: false,
      },
    };
    const first = await buildApp(s.ctx, options);
    let second: Awaited<ReturnType<typeof buildApp>> | undefined;
    try {
      const token = await s.signIn('lea');
      // Ten pupils sending without pause, one slot: nine always wait.
      const sending = { on: true };
      const loops = Array.from({ length: 10 }, async (_, n) => {
        for (let i = 0; sending.on; i++)
          await first.inject({
            method: 'PUT',
            url: `/api/submissions/${crypto.randomUUID()}`,
            headers: { authorization: `Bearer ${token}` },
            payload: demoHomework(`réponse ${n}-${i}`),
          });
      });
      const measured = await until(
        () => readiness(first),
        (c) => c.source === 'saturated',
      );
      sending.on = false;
      await Promise.all(loops);
      expect(measured.source).toBe('saturated');
      // Let a report carry it (every 50 ms), then restart under the same name.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const kept = (await readiness(first)).writesPerSecond;
      await first.close();
      second = await buildApp(s.ctx, { ...options, admission: { ...options.admission, capacitySampleMs: 0 } });
      const restarted = await until(
        () => readiness(second as typeof first),
        (c) => c.source === 'saturated',
      );
      expect(restarted).toMatchObject({ source: 'saturated', writesPerSecond: kept, instances: 1 });
    } finally {
      await first.close();
      await second?.close();
      await s.close();
    }
  });
});
