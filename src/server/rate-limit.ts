/**
 * Fixed-window counters for rate limits. In one process they live in memory; with several server instances they
 * must be shared, so they live in Redis (REDIS_URL): a pupil hammering instance A is also limited on instance B.
 */
import { Redis } from 'ioredis';

export interface Count {
  count: number;
  /** Milliseconds until the window ends (0 when nothing was counted). */
  resetInMs: number;
}

export interface RateLimiter {
  /** Counts one event under `key`; the window opens with the first event and lasts `windowMs`. */
  hit(key: string, windowMs: number): Promise<Count>;
  /** The current count under `key`, without counting. */
  peek(key: string): Promise<Count>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Per-process counters, on the app's clock. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string) {
    const w = this.windows.get(key);
    if (w && w.endsAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
  async hit(key: string, windowMs: number): Promise<Count> {
    const w = this.live(key) ?? { count: 0, endsAt: this.now() + windowMs };
    w.count += 1;
    this.windows.set(key, w);
    return { count: w.count, resetInMs: w.endsAt - this.now() };
  }
  async peek(key: string): Promise<Count> {
    const w = this.live(key);
    return w ? { count: w.count, resetInMs: w.endsAt - this.now() } : { count: 0, resetInMs: 0 };
  }
  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }
  async close(): Promise<void> {
    this.windows.clear();
  }
}

/** Counters shared by every instance: INCR, and the expiry set by the first event only (PEXPIRE … NX, Redis 7). */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  constructor(
    url: string,
    private readonly prefix = 'cartable:rl:',
  ) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  }
  async hit(key: string, windowMs: number): Promise<Count> {
    const k = this.prefix + key;
    const results = await this.redis.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec();
    const count = Number(results?.[0]?.[1] ?? 0);
    const ttl = Number(results?.[2]?.[1] ?? windowMs);
    return { count, resetInMs: Math.max(0, ttl) };
  }
  async peek(key: string): Promise<Count> {
    const k = this.prefix + key;
    const [count, ttl] = await Promise.all([this.redis.get(k), this.redis.pttl(k)]);
    return count === null ? { count: 0, resetInMs: 0 } : { count: Number(count), resetInMs: Math.max(0, ttl) };
  }
  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
  async close(): Promise<void> {
    await this.redis.quit();
  }
}
