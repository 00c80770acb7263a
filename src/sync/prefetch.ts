/**
 * Off-peak prefetch: when a device checks its class's weeks, and what it keeps.
 *
 *   current week missing on the device? ──yes──> fetch it now (the pupil needs it), whatever the hour
 *        │no
 *   inside the off-peak window, and this device's slot passed since its last check? ──no──> wait for the next slot
 *        │yes
 *   homework waiting to be sent? ──yes──> wait (submissions go first; the outbox runner calls again once drained)
 *        │no
 *   check the current and next weeks (slot-planner.ts places the slot)
 *
 * After a check the device keeps the current and next weeks and the policy's number of previous ones, and deletes
 * older weeks with the files no kept week uses.
 */
import { addWeeks, isoWeekAt } from '../protocol/iso-week.ts';
import { syncPolicyUrl } from '../protocol/paths.ts';
import { filesOf } from './manifest-diff.ts';
import { type InstalledWeek, TransportError } from './ports.ts';
import { DEFAULT_POLICY, inWindow, nextSlot, previousSlot, type SlotDevice, type SyncPolicy } from './slot-planner.ts';
import { type InstallDeps, InstallError, type InstallResult, installWeek, NoRoomError } from './week-install.ts';

/** What the device remembers of its checks, per class. */
export interface PrefetchState {
  classId: string;
  lastCheckAt?: number;
  nextCheckAt?: number | undefined;
  lastOutcome?: 'checked' | 'offline' | 'error' | 'expired' | 'no-room';
  policy?: SyncPolicy;
  policyFetchedAt?: number;
}

export interface PrefetchStateStore {
  get(classId: string): Promise<PrefetchState | undefined>;
  put(state: PrefetchState): Promise<void>;
}

export interface PrefetchDeps extends InstallDeps {
  state: PrefetchStateStore;
  device: SlotDevice;
  classId: string;
  /** The school's time zone, for a device that has not fetched the policy yet. */
  timeZone: string;
  /** Homework the device could send now: prefetch waits while there is any. */
  sendableHomework: () => Promise<number>;
  /** Told when a week starts and progresses, for the progress bar. */
  onWeekProgress?: (week: string, done: number, total: number) => void;
}

export type PrefetchDecision =
  | { kind: 'now'; weeks: string[]; reason: 'missing-current' | 'slot' | 'asked' }
  | { kind: 'wait'; until: number | undefined; reason: 'slot' };

/** Decides what to do at `now` (pure). */
export function decide(input: {
  now: number;
  policy: SyncPolicy;
  device: SlotDevice;
  lastCheckAt: number | undefined;
  installed: ReadonlySet<string>;
  asked?: boolean;
}): PrefetchDecision {
  const current = isoWeekAt(input.now, input.policy.timeZone);
  const next = addWeeks(current, 1);
  if (input.asked) return { kind: 'now', weeks: [current, next], reason: 'asked' };
  if (!input.installed.has(current)) return { kind: 'now', weeks: [current], reason: 'missing-current' };
  const slot = previousSlot(input.policy, input.device, input.now);
  if (slot !== undefined && slot > (input.lastCheckAt ?? 0) && inWindow(input.policy, input.now))
    return { kind: 'now', weeks: [current, next], reason: 'slot' };
  return { kind: 'wait', until: nextSlot(input.policy, input.device, input.now), reason: 'slot' };
}

export type PrefetchOutcome =
  | { kind: 'waiting'; until: number | undefined; reason: 'slot' | 'outbox' }
  | { kind: 'checked'; results: Record<string, InstallResult['status']>; nextCheckAt: number | undefined }
  | {
      kind: 'failed';
      reason: 'offline' | 'error' | 'expired' | 'no-room';
      nextCheckAt: number | undefined;
      /** For no-room: what the week needs and what the device has. */
      room?: { neededBytes: number; freeBytes: number };
    };

/** How long a fetched policy is trusted before asking again (schools change it rarely; it is fetched with a check). */
const POLICY_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** How soon to look again when homework is still waiting to be sent. */
const OUTBOX_RECHECK_MS = 60_000;

/** One look at the class's weeks: decides, installs what is due, evicts what is no longer kept. */
export async function prefetchTick(deps: PrefetchDeps, options: { asked?: boolean } = {}): Promise<PrefetchOutcome> {
  const now = deps.clock.now();
  const state: PrefetchState = (await deps.state.get(deps.classId)) ?? { classId: deps.classId };
  const policy = state.policy ?? { ...DEFAULT_POLICY, timeZone: deps.timeZone };

  const installed = new Set((await deps.weeks.list(deps.classId)).map((w) => w.manifest.week));
  const decision = decide({ now, policy, device: deps.device, lastCheckAt: state.lastCheckAt, installed, ...options });
  if (decision.kind === 'wait') {
    await deps.state.put({ ...state, nextCheckAt: decision.until });
    return { kind: 'waiting', until: decision.until, reason: 'slot' };
  }
  // Homework first: a slot's check waits while the outbox has work it could send. A missing current week does not
  // wait (the pupil needs it to work at all), nor does a check the pupil asked for.
  if (decision.reason === 'slot' && (await deps.sendableHomework()) > 0) {
    return { kind: 'waiting', until: now + OUTBOX_RECHECK_MS, reason: 'outbox' };
  }

  const results: Record<string, InstallResult['status']> = {};
  let fresh = policy;
  try {
    if (!state.policy || now - (state.policyFetchedAt ?? 0) > POLICY_MAX_AGE_MS) {
      fresh = (await fetchPolicy(deps)) ?? policy;
      state.policy = fresh;
      state.policyFetchedAt = now;
    }
    for (const week of decision.weeks) {
      results[week] = (
        await installWeek(
          { ...deps, onProgress: (done, total) => deps.onWeekProgress?.(week, done, total) },
          deps.classId,
          week,
        )
      ).status;
    }
  } catch (err) {
    const reason =
      err instanceof TransportError
        ? 'offline'
        : err instanceof NoRoomError
          ? 'no-room'
          : err instanceof InstallError && err.status === 401
            ? 'expired'
            : 'error';
    // A failed check is tried again at the next slot (or at once, for a missing current week, at the next trigger).
    const nextCheckAt = nextSlot(fresh, deps.device, now);
    await deps.state.put({ ...state, lastOutcome: reason, nextCheckAt });
    const room = err instanceof NoRoomError ? { room: { neededBytes: err.neededBytes, freeBytes: err.freeBytes } } : {};
    return { kind: 'failed', reason, nextCheckAt, ...room };
  }
  await evictWeeks(deps, isoWeekAt(now, fresh.timeZone), fresh.keepPreviousWeeks);
  const nextCheckAt = nextSlot(fresh, deps.device, now);
  await deps.state.put({ ...state, lastCheckAt: now, lastOutcome: 'checked', nextCheckAt });
  return { kind: 'checked', results, nextCheckAt };
}

async function fetchPolicy(deps: PrefetchDeps): Promise<SyncPolicy | undefined> {
  const res = await deps.transport.send({ method: 'GET', path: syncPolicyUrl(), headers: deps.headers ?? {} });
  if (res.status !== 200) return undefined;
  try {
    const p = JSON.parse(new TextDecoder().decode(res.body)) as Partial<SyncPolicy>;
    const valid =
      typeof p.timeZone === 'string' &&
      typeof p.windowStart === 'string' &&
      typeof p.windowEnd === 'string' &&
      Array.isArray(p.days) &&
      typeof p.keepPreviousWeeks === 'number';
    return valid ? (p as SyncPolicy) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deletes the class's weeks older than `keepPrevious` weeks before `current`, and the files only they used. Files
 * that no installed week references at all are left alone: they may belong to an install that will resume.
 */
export async function evictWeeks(
  deps: Pick<InstallDeps, 'weeks' | 'files'> & { classId: string },
  current: string,
  keepPrevious: number,
): Promise<{ weeks: string[]; files: number }> {
  const oldest = addWeeks(current, -keepPrevious);
  const all = await deps.weeks.listAll();
  const isEvicted = (w: InstalledWeek) => w.manifest.classId === deps.classId && w.manifest.week < oldest;
  const evicted = all.filter(isEvicted);
  if (evicted.length === 0) return { weeks: [], files: 0 };
  const kept = new Set(all.filter((w) => !isEvicted(w)).flatMap((w) => filesOf(w.manifest).map((f) => f.sha256)));
  const orphans = new Set<string>();
  for (const w of evicted) for (const f of filesOf(w.manifest)) if (!kept.has(f.sha256)) orphans.add(f.sha256);
  for (const w of evicted) await deps.weeks.remove(w.manifest.classId, w.manifest.week);
  await deps.files.remove([...orphans]);
  return { weeks: evicted.map((w) => w.manifest.week), files: orphans.size };
}
