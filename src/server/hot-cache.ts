/**
 * Short-lived in-process caches in front of the database for the requests every device repeats: who a bearer token
 * is, which classes a user reads, which version of a week is current, and which assignments exist. They make a manifest revalidation (304)
 * a few map lookups instead of three queries (bench:delta).
 *
 * The price, for several instances on one database: a sign-out, a class change or a publication made through one
 * instance is seen by the others within TTL_MS. The instance that made the change sees it at once (it drops its own
 * entry). A session never outlives its expiry, and a scheduled version appears at its release time exactly.
 */
import type { CachedToken } from './auth/authenticate.ts';
import type { ClassRow, WeekVersionRow } from './db/queries.ts';
import type { AssignmentsTable } from './db/schema.ts';

export const HOT_CACHE_TTL_MS = 5_000;

/** A map whose entries expire; the oldest entries go first when it is full. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(private readonly maxEntries = 50_000) {}

  get(key: string, now: number): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V, until: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

export class HotCaches {
  readonly sessions = new TtlCache<CachedToken>();
  readonly classes = new TtlCache<ClassRow[]>();
  readonly weekHeads = new TtlCache<WeekVersionRow | null>();
  /** Assignments that exist (an unknown one is never cached: it may be published the next second). */
  readonly assignments = new TtlCache<AssignmentsTable>();
  constructor(readonly ttlMs = HOT_CACHE_TTL_MS) {}

  /** Forgets everything: another writer (a second instance, a test, a script) changed the database. */
  clear(): void {
    this.sessions.clear();
    this.classes.clear();
    this.weekHeads.clear();
    this.assignments.clear();
  }
}

export const weekKey = (classId: string, week: string): string => `${classId}/${week}`;
