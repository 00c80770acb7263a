/**
 * Runs the tasks of one key one after another, with at most `maxWaiting` waiting behind the one running; a task
 * beyond that is refused at once ('busy'). The sign-in route checks one account's secrets this way on each instance:
 * its lockout then counts exactly (the attempt is counted, checked, and the count reset on success before the next
 * one reads it), honest repeats (a pupil who taps twice, two tablets) all go through, and a flood aimed at one account
 * costs one slow hash at a time.
 *
 *   idle ──run(k)──> running k ──run(k)──> waiting (≤ maxWaiting) ──> running next … ──> idle
 *                                  └──run(k) beyond──> 'busy'
 */
export class OneAtATime {
  private readonly tails = new Map<string, { tail: Promise<unknown>; queued: number }>();
  constructor(private readonly maxWaiting: number) {}

  /** The task's result once it ran after the earlier tasks of `key`, or 'busy' when too many are waiting. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T | 'busy'> {
    const entry = this.tails.get(key) ?? { tail: Promise.resolve(), queued: 0 };
    if (entry.queued > this.maxWaiting) return 'busy';
    entry.queued++;
    const result = entry.tail.then(task, task);
    entry.tail = result.catch(() => undefined);
    this.tails.set(key, entry);
    try {
      return await result;
    } finally {
      entry.queued--;
      if (entry.queued === 0) this.tails.delete(key);
    }
  }
}
