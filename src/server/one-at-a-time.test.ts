import { describe, expect, it } from 'vitest';
import { OneAtATime } from './one-at-a-time.ts';

describe('OneAtATime', () => {
  it('runs one key’s tasks in turn, other keys alongside, and refuses beyond the waiting bound', async () => {
    const queue = new OneAtATime(2);
    const log: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const task = (name: string, wait?: Promise<void>) => async () => {
      log.push(`start ${name}`);
      await wait;
      log.push(`end ${name}`);
      return name;
    };
    const a1 = queue.run('a', task('a1', gate));
    const a2 = queue.run('a', task('a2'));
    const a3 = queue.run('a', task('a3'));
    expect(await queue.run('a', task('a4'))).toBe('busy');
    expect(await queue.run('b', task('b1'))).toBe('b1');
    release();
    expect(await Promise.all([a1, a2, a3])).toEqual(['a1', 'a2', 'a3']);
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
  });

  it('goes on after a task that fails, and forgets an idle key', async () => {
    const queue = new OneAtATime(1);
    const failing = queue.run('a', async () => {
      throw new Error('wrong secret');
    });
    const next = queue.run('a', async () => 'ok');
    await expect(failing).rejects.toThrow('wrong secret');
    expect(await next).toBe('ok');
    expect((queue as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
