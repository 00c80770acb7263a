import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.ts';

describe('GroupCommitter', () => {
  it('batches concurrent writes, keeps their order, and answers each only after its batch committed', async () => {
    const committed: number[][] = [];
    const events: string[] = [];
    let release: () => void = () => undefined;
    const committer = new GroupCommitter<number, string>(async (items) => {
      events.push(`start ${items.join(',')}`);
      if (committed.length === 0) await new Promise<void>((r) => (release = r));
      committed.push(items);
      events.push(`commit ${items.join(',')}`);
      return items.map((i) => `ok ${i}`);
    });
    const answers = [1, 2, 3].map((i) => committer.submit(i).then((r) => events.push(r)));
    await new Promise((r) => setImmediate(r));
    // While batch 1 commits, more writes arrive: they wait for the next batch.
    const later = [4, 5].map((i) => committer.submit(i).then((r) => events.push(r)));
    expect(events).toEqual(['start 1,2,3']);
    release();
    await Promise.all([...answers, ...later]);
    expect(committed).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    // Each answer comes after the commit of its own batch (never before it).
    for (const i of [1, 2, 3]) expect(events.indexOf(`ok ${i}`)).toBeGreaterThan(events.indexOf('commit 1,2,3'));
    for (const i of [4, 5]) expect(events.indexOf(`ok ${i}`)).toBeGreaterThan(events.indexOf('commit 4,5'));
    expect(events.slice(0, 2)).toEqual(['start 1,2,3', 'commit 1,2,3']);
  });

  it('retries a failed batch item by item: only the failing item is rejected, the others commit', async () => {
    const committed: number[][] = [];
    const committer = new GroupCommitter<number, number>(async (items) => {
      // 13 is refused by the database; a batch holding it fails whole (nothing of it stored).
      if (items.includes(13)) throw new Error('invalid byte sequence');
      committed.push(items);
      return items.map((i) => i * 10);
    });
    const settled = await Promise.allSettled([12, 13, 14].map((i) => committer.submit(i)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 120 },
      { status: 'rejected', reason: new Error('invalid byte sequence') },
      { status: 'fulfilled', value: 140 },
    ]);
    expect(committed).toEqual([[12], [14]]);
    expect(await committer.submit(3)).toBe(30);
  });

  it('rejects every waiter when the database itself fails, and goes on with the next', async () => {
    let down = true;
    const committer = new GroupCommitter<number, number>(async (items) => {
      if (down) throw new Error('disk full');
      return items;
    });
    const settled = await Promise.allSettled([1, 2].map((i) => committer.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    down = false;
    expect(await committer.submit(3)).toBe(3);
  });

  it('never puts more than maxBatch writes in one transaction', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter<number, number>(async (items) => {
      sizes.push(items.length);
      return items;
    }, 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => committer.submit(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });
});
