import { describe, expect, it } from 'vitest';
import { fileUrl, syncPolicyUrl, weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { webVerifier } from '../storage/web-verifier.ts';
import { fakeWeekServer, makeFile, makeManifest, nodeHasher, testSigner } from '../test-support/manifests.ts';
import {
  FakeClock,
  FakeTransport,
  MemoryFileStore,
  MemoryKeyStore,
  MemoryPrefetchStateStore,
  MemoryWeekStore,
  response,
} from './fakes.ts';
import { decide, evictWeeks, prefetchTick } from './prefetch.ts';
import { TransportError, type TransportRequest } from './ports.ts';
import { DEFAULT_POLICY, nextSlot } from './slot-planner.ts';
import { zonedInstant } from '../protocol/zoned-time.ts';

const signer = testSigner();
const policy = { ...DEFAULT_POLICY, timeZone: 'Europe/Paris' };
const at = (day: number, hour: number, minute = 0) =>
  zonedInstant({ year: 2026, month: 11, day }, hour, minute, 'Europe/Paris');
const device = { id: 'tablette-7', seat: 7 };

const lessonFile = (week: string, n: number) => makeFile(`${week}-${n}.png`, `${week} image ${n}`, 'image/png');

/** A server publishing W48 and W49 (two files each), counting what devices ask of it. */
function school(weeks: Record<string, WeekManifest> = {}) {
  const published: Record<string, WeekManifest> = {
    '2026-W48': makeManifest(1, [[lessonFile('W48', 1).ref, lessonFile('W48', 2).ref]], '2026-W48'),
    '2026-W49': makeManifest(1, [[lessonFile('W49', 1).ref, lessonFile('W49', 2).ref]], '2026-W49'),
    ...weeks,
  };
  const files = ['W48', 'W49', 'W45', 'W44'].flatMap((w) => [lessonFile(w, 1), lessonFile(w, 2)]);
  let down = false;
  const serve = fakeWeekServer(signer, () => Object.values(published), files);
  const transport = new FakeTransport((req: TransportRequest) => {
    if (down) throw new TransportError('connection refused');
    if (req.path === syncPolicyUrl()) return response(200, policy);
    return serve(req);
  });
  return {
    transport,
    published,
    setDown: (d: boolean) => {
      down = d;
    },
  };
}

function tablet(transport: FakeTransport, clock: FakeClock, sendable = () => 0) {
  const state = new MemoryPrefetchStateStore();
  const deps = {
    transport,
    files: new MemoryFileStore(),
    weeks: new MemoryWeekStore(),
    keys: new MemoryKeyStore(),
    hasher: nodeHasher,
    verifier: webVerifier,
    clock,
    state,
    device,
    classId: 'cm2b',
    timeZone: 'Europe/Paris',
    sendableHomework: async () => sendable(),
  };
  return { deps, state };
}

describe('decide', () => {
  const base = { policy, device, installed: new Set(['2026-W48']) };
  it('fetches a missing current week at once, even at 8 am', () => {
    expect(decide({ ...base, now: at(23, 8), lastCheckAt: undefined, installed: new Set() })).toEqual({
      kind: 'now',
      weeks: ['2026-W48'],
      reason: 'missing-current',
    });
  });

  it('otherwise waits for its slot, then checks the current and next weeks once per night', () => {
    const slot = nextSlot(policy, device, at(23, 8)) ?? 0;
    expect(decide({ ...base, now: at(23, 8), lastCheckAt: at(22, 21) })).toEqual({
      kind: 'wait',
      until: slot,
      reason: 'slot',
    });
    expect(decide({ ...base, now: slot, lastCheckAt: at(22, 21) })).toMatchObject({
      kind: 'now',
      weeks: ['2026-W48', '2026-W49'],
    });
    expect(decide({ ...base, now: slot + 60_000, lastCheckAt: slot })).toMatchObject({ kind: 'wait' });
  });

  it('does not make up a missed slot in the morning rush: it waits for tonight', () => {
    const missed = decide({ ...base, now: at(24, 8), lastCheckAt: at(22, 21) });
    expect(missed.kind).toBe('wait');
    expect(missed.kind === 'wait' && missed.until).toBeGreaterThan(at(24, 19) - 1);
  });
});

describe('prefetchTick', () => {
  it('installs at the slot, then at the next slot downloads only the corrected lesson’s file', async () => {
    const server = school();
    const slot = nextSlot(policy, device, at(23, 12)) ?? 0;
    const clock = new FakeClock(at(23, 12));
    const { deps, state } = tablet(server.transport, clock);
    // Midday, nothing on the device: the current week comes at once, the next waits for the slot.
    expect(await prefetchTick(deps)).toMatchObject({ kind: 'checked', results: { '2026-W48': 'installed' } });
    expect(await deps.weeks.get('cm2b', '2026-W49')).toBeUndefined();
    expect(await prefetchTick(deps)).toMatchObject({ kind: 'waiting', until: slot });

    await clock.advance(slot - clock.now());
    expect(await prefetchTick(deps)).toMatchObject({
      kind: 'checked',
      results: { '2026-W48': 'unchanged', '2026-W49': 'installed' },
    });
    expect(state.states.get('cm2b')?.nextCheckAt).toBe(nextSlot(policy, device, slot));

    // The teacher corrects one lesson's image of week 49.
    const fixed = makeFile('W49-2.png', 'W49 image 2, corrected', 'image/png');
    server.published['2026-W49'] = makeManifest(2, [[lessonFile('W49', 1).ref, fixed.ref]], '2026-W49');
    const serve = server.transport;
    const withFix = new FakeTransport((req) =>
      req.path === fileUrl(fixed.ref.sha256) ? response(200, fixed.bytes) : serve.send(req),
    );
    const before = serve.log.length;
    await clock.advance((nextSlot(policy, device, slot) ?? 0) - clock.now());
    expect(await prefetchTick({ ...deps, transport: withFix })).toMatchObject({
      results: { '2026-W48': 'unchanged', '2026-W49': 'installed' },
    });
    // Two manifests (one 304) through the school's handler, and the one changed file.
    expect(withFix.log.map((r) => r.path)).toEqual([
      weekManifestUrl('cm2b', '2026-W48'),
      weekManifestUrl('cm2b', '2026-W49'),
      fileUrl(fixed.ref.sha256),
    ]);
    expect(serve.log.length - before).toBe(2);
  });

  it('never prefetches at its slot while homework waits to be sent, but fetches a missing current week', async () => {
    const server = school();
    let waiting = 1;
    const clock = new FakeClock(at(23, 12));
    const { deps } = tablet(server.transport, clock, () => waiting);
    expect(await prefetchTick(deps)).toMatchObject({ kind: 'checked', results: { '2026-W48': 'installed' } });
    const before = server.transport.log.length;
    await clock.advance((nextSlot(policy, device, at(23, 12)) ?? 0) - clock.now());
    expect(await prefetchTick(deps)).toMatchObject({ kind: 'waiting', reason: 'outbox' });
    expect(server.transport.log).toHaveLength(before);
    waiting = 0;
    expect(await prefetchTick(deps)).toMatchObject({ kind: 'checked' });
  });

  it('keeps the week on the device when the server is down, and tries again at the next slot', async () => {
    const server = school();
    const clock = new FakeClock(at(23, 12));
    const { deps } = tablet(server.transport, clock);
    await prefetchTick(deps);
    server.setDown(true);
    await clock.advance((nextSlot(policy, device, at(23, 12)) ?? 0) + 1 - clock.now());
    const failed = await prefetchTick(deps);
    expect(failed).toMatchObject({ kind: 'failed', reason: 'offline' });
    expect((await deps.weeks.get('cm2b', '2026-W48'))?.manifest.version).toBe(1);
  });
});

describe('evictWeeks', () => {
  it('keeps current, next and N previous weeks, and deletes only the files no kept week uses', async () => {
    const server = school({
      '2026-W44': makeManifest(1, [[lessonFile('W44', 1).ref, lessonFile('W48', 1).ref]], '2026-W44'),
      '2026-W45': makeManifest(1, [[lessonFile('W45', 1).ref]], '2026-W45'),
    });
    const { deps } = tablet(server.transport, new FakeClock(at(23, 12)));
    for (const w of ['2026-W44', '2026-W45', '2026-W48', '2026-W49']) {
      const { installWeek } = await import('./week-install.ts');
      await installWeek(deps, 'cm2b', w);
    }
    const result = await evictWeeks(deps, '2026-W48', 2); // keeps W46 onwards
    expect(result.weeks.sort()).toEqual(['2026-W44', '2026-W45']);
    expect((await deps.weeks.list('cm2b')).map((w) => w.manifest.week).sort()).toEqual(['2026-W48', '2026-W49']);
    const held = await deps.files.hasMany(
      [lessonFile('W44', 1), lessonFile('W45', 1), lessonFile('W48', 1)].map((f) => f.ref.sha256),
    );
    // W48's image, also used by the evicted W44, stays; the evicted weeks' own files go.
    expect(held).toEqual(new Set([lessonFile('W48', 1).ref.sha256]));
  });
});
