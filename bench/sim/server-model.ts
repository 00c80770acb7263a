/**
 * A lesson server of capacity C requests/s, as the herd simulation sees it: one queue served at C per second; a
 * request that would wait more than a second is refused with 503 and the real server's advice (admission.ts's
 * RetrySlots: a return slot for each refused client). While `down`, every request fails to
 * connect. Items are stored by their id, and counted each time they are stored, so duplicates show.
 *
 * The rate its advice is given at is `advisedCapacity`: the true capacity unless the scenario says otherwise (a typed
 * figure, or the real server's capacity meter fed by `measure`).
 */
import { RETRY_SPREAD_HEADER } from '../../src/protocol/paths.ts';
import { RetrySlots } from '../../src/server/admission.ts';
import type { CapacityMeter } from '../../src/server/capacity-meter.ts';
import { response } from '../../src/sync/fakes.ts';
import { type TransportRequest, type TransportResponse, TransportError } from '../../src/sync/ports.ts';
import type { SimClock } from './sim-clock.ts';

/**
 * What every attempt gets while the server is down: one error, made once. Millions of attempts fail in an outage
 * (fixed-5s alone makes 3.6 million), and an Error captures a stack each time it is made.
 */
const REFUSED = new TransportError('connection refused');

export class ServerModel {
  down = false;
  /** As the real server's PeakCalendar: during an announced peak, the end of its held-back window; 0 otherwise. */
  heldBackUntil: (now: number) => number = () => 0;
  /** Requests that reached the server, per simulated second. */
  readonly arrivals: number[] = [];
  /** Submissions stored, per simulated second. */
  readonly served: number[] = [];
  /** Stored items: logical item → times stored. */
  readonly stored = new Map<string, number>();
  lastStoredAt = 0;
  /** The writes/s the server's advice (return slots) is computed at. */
  advisedCapacity: () => number = () => this.capacity;
  private nextFree = 0;
  private readonly slots: RetrySlots;

  constructor(
    private readonly clock: SimClock,
    readonly capacity: number,
    /** Whether a repeated id is recognised (idempotent PUT) or stored again (POST). */
    private readonly idempotent: boolean,
    private readonly maxQueueMs = 1000,
  ) {
    this.slots = new RetrySlots(() => this.clock.now());
  }

  private bump(series: number[], at: number): void {
    const s = Math.floor(at / 1000);
    series[s] = (series[s] ?? 0) + 1;
  }

  /** One submission of logical item `item`. */
  async submit(item: string): Promise<TransportResponse> {
    const t = this.clock.now();
    if (this.down) throw REFUSED;
    this.bump(this.arrivals, t);
    const start = Math.max(t, this.nextFree);
    if (start - t > this.maxQueueMs) {
      const advice = this.slots.assign(this.advisedCapacity(), this.heldBackUntil(t));
      return response(
        503,
        { error: 'overloaded', message: 'busy' },
        { 'retry-after': String(advice.retryAfterSeconds), [RETRY_SPREAD_HEADER]: String(advice.spreadSeconds) },
      );
    }
    this.nextFree = start + 1000 / this.capacity;
    await this.clock.sleep(this.nextFree - t);
    const times = this.stored.get(item) ?? 0;
    if (times === 0 || !this.idempotent) this.stored.set(item, times + 1);
    this.lastStoredAt = this.clock.now();
    this.bump(this.served, this.clock.now());
    return response(times > 0 && this.idempotent ? 200 : 201, {
      receipt: { payload: item, signature: 'sim', receivedAt: new Date(this.clock.now()).toISOString() },
    });
  }

  /**
   * Feeds the real server's capacity meter once a simulated second, as admission.ts does: the writes stored in it, the
   * busy time they cost (`costMs` each: 1000 / capacity when the meter's projection is exact) and whether the queue
   * was busy through the second (saturated). Runs until `untilMs`.
   */
  async measure(meter: CapacityMeter, costMs: number, untilMs: number): Promise<void> {
    while (this.clock.now() + 1000 <= untilMs) {
      await this.clock.sleep(1000);
      const at = this.clock.now();
      const completed = this.served[Math.floor(at / 1000) - 1] ?? 0;
      // The server was never idle in the second: what it stored is what it can do.
      const saturated = completed >= 0.95 * this.capacity;
      meter.add({ intervalMs: 1000, completed, busyMs: Math.min(1000, completed * costMs), saturated, at });
    }
  }

  /** A transport for the real sync core: PUT /api/submissions/{id} submits item {id}. */
  transport(): { send(req: TransportRequest): Promise<TransportResponse> } {
    return {
      send: async (req) => {
        const id = /\/api\/submissions\/(.+)$/.exec(req.path)?.[1];
        if (!id) return response(404, { error: 'not_found', message: 'x' });
        return this.submit(id);
      },
    };
  }
}
