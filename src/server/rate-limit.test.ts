// One contract for the rate limiters: in memory always, and Redis when TEST_REDIS_URL names one.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from './rate-limit.ts';

const redisUrl = process.env.TEST_REDIS_URL;
const subjects: [string, () => RateLimiter][] = [['memory', () => new MemoryRateLimiter()]];
if (redisUrl) subjects.push(['redis', () => new RedisRateLimiter(redisUrl, `cartable-test:${randomUUID()}:`)]);

describe.each(subjects)('rate limiter: %s', (_name, make) => {
  it('counts events in a window that opens with the first one, and says when it ends', async () => {
    const limiter = make();
    try {
      expect(await limiter.peek('k')).toEqual({ count: 0, resetInMs: 0 });
      const first = await limiter.hit('k', 60_000);
      expect(first.count).toBe(1);
      expect(first.resetInMs).toBeGreaterThan(59_000);
      expect((await limiter.hit('k', 60_000)).count).toBe(2);
      // The window does not slide: it still ends when the first event said.
      expect((await limiter.hit('k', 600_000)).resetInMs).toBeLessThanOrEqual(60_000);
      expect((await limiter.peek('k')).count).toBe(3);
      expect((await limiter.peek('other')).count).toBe(0);
      await limiter.reset('k');
      expect((await limiter.peek('k')).count).toBe(0);
    } finally {
      await limiter.close();
    }
  });

  it('forgets a window once it has ended', async () => {
    const limiter = make();
    try {
      await limiter.hit('short', 50);
      await new Promise((r) => setTimeout(r, 120));
      expect((await limiter.peek('short')).count).toBe(0);
      expect((await limiter.hit('short', 50)).count).toBe(1);
    } finally {
      await limiter.close();
    }
  });
});
