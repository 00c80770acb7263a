import { describe, expect, it } from 'vitest';
import { FakeHomeworkServer } from '../test-support/fake-homework-server.ts';
import {
  FakeClock,
  FakeTransport,
  MemoryLock,
  MemoryOutboxStore,
  MemorySyncStateStore,
  SeededRandom,
} from './fakes.ts';
import { type KickResult, OutboxRunner } from './outbox-runner.ts';
import type { OutboxItem } from './ports.ts';

function setup(online = true) {
  const clock = new FakeClock(1_000_000);
  const server = new FakeHomeworkServer();
  const transport = new FakeTransport(server.handle);
  const outbox = new MemoryOutboxStore();
  const lock = new MemoryLock();
  const results: KickResult[] = [];
  const state = { online };
  const deps = {
    transport,
    outbox,
    syncState: new MemorySyncStateStore(),
    clock,
    random: new SeededRandom(1),
    credentials: async () => 'token-lea',
    lock,
    isOnline: () => state.online,
    onResult: (r: KickResult) => results.push(r),
    policy: { baseMs: 1000, capMs: 60_000 },
  };
  return { clock, server, transport, outbox, lock, results, state, runner: new OutboxRunner(deps), deps };
}

const item = (id: string): OutboxItem => ({
  id,
  owner: 'lea',
  classId: 'c',
  week: '2026-W48',
  assignmentId: 'a',
  assignmentTitle: 'A',
  text: id,
  files: [],
  submittedAt: '2026-11-25T08:00:00.000Z',
  createdAt: 999_000, // just queued (the clock starts at 1,000,000)
  state: 'pending',
  attempts: 0,
});

describe('OutboxRunner', () => {
  it('does nothing while the device knows it is offline, and the backoff does not grow', async () => {
    const { runner, outbox, transport, deps } = setup(false);
    await outbox.add(item('a'), []);
    expect(await runner.kick()).toEqual({ kind: 'offline' });
    expect(transport.log).toHaveLength(0);
    expect((await deps.syncState.getBackoff()).failures).toBe(0);
  });

  it('wakes itself when the backoff ends, and then delivers', async () => {
    const { runner, outbox, server, clock, results } = setup();
    await outbox.add(item('a'), []);
    server.mode = 'down';
    const first = await runner.kick();
    if (first.kind !== 'backing-off') throw new Error(first.kind);
    server.mode = 'up';
    await clock.advance(first.until - clock.now());
    expect(results.at(-1)).toEqual({ kind: 'drained', sent: 1 });
    expect(server.submissions.has('a')).toBe(true);
  });

  it('holds work created in a peak until its time, sends the rest now, and wakes itself to send it', async () => {
    const { runner, outbox, server, clock, results } = setup();
    const later = clock.now() + 90_000;
    await outbox.add({ ...item('held'), notBefore: later }, []);
    expect(await runner.kick()).toEqual({ kind: 'waiting', until: later });
    expect(server.submissions.size).toBe(0);
    await outbox.add(item('now'), []);
    expect(await runner.kick()).toEqual({ kind: 'drained', sent: 1, nextDueAt: later });
    expect([...server.submissions.keys()]).toEqual(['now']);
    await clock.advance(89_000);
    expect(server.submissions.has('held')).toBe(false);
    await clock.advance(1_000);
    expect(server.submissions.has('held')).toBe(true);
    expect(results.at(-1)).toEqual({ kind: 'drained', sent: 1 });
  });

  it('lets one drainer run at a time: a second kick meanwhile answers busy', async () => {
    const { runner, outbox, deps } = setup();
    await outbox.add(item('a'), []);
    let release: () => void = () => undefined;
    const held = deps.lock.tryRun(() => new Promise<void>((r) => (release = r)));
    expect(await runner.kick()).toEqual({ kind: 'busy' });
    release();
    await held;
    expect(await runner.kick()).toEqual({ kind: 'drained', sent: 1 });
  });

  it('after the network returns, sends work that waited through the silence at the device’s phase, not at once', async () => {
    const { runner, outbox, transport, clock, state, deps } = setup(false);
    await deps.syncState.putBackoff({
      failures: 0,
      nextAttemptAt: 0,
      recoveryPeriodMs: 300_000,
      phase: 0.5,
      lastContactAt: clock.now() - 3600_000,
    });
    await outbox.add(item('a'), []);
    expect(await runner.kick()).toEqual({ kind: 'offline' });
    await clock.advance(20 * 60_000);
    state.online = true;
    // The `online` event's kick: the device's slot is phase × period on the grid, so nothing goes now.
    const woken = await runner.kick();
    if (woken.kind !== 'waiting') throw new Error(woken.kind);
    expect((woken.until - 0.5 * 300_000) % 300_000).toBe(0);
    expect(transport.log).toHaveLength(0);
    // The runner wakes itself at that slot and sends.
    await clock.advance(woken.until - clock.now());
    await clock.advance(0);
    expect(transport.log.length).toBeGreaterThan(0);
    expect((await outbox.get('a'))?.state).toBe('received');
  });

  it('stop() cancels a pending wake-up', async () => {
    const { runner, outbox, server, clock, transport } = setup();
    await outbox.add(item('a'), []);
    server.mode = 'down';
    const first = await runner.kick();
    if (first.kind !== 'backing-off') throw new Error(first.kind);
    runner.stop();
    server.mode = 'up';
    const before = transport.log.length;
    await clock.advance(first.until - clock.now() + 1);
    expect(transport.log.length).toBe(before);
  });
});
