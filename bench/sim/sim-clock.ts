/**
 * Simulated time for the herd simulation: a Clock whose sleeps resolve in time order as the simulation runs, with
 * every continuation at one instant settled before time moves on. Nothing really sleeps.
 */
import type { Clock } from '../../src/sync/ports.ts';

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

const before = (x: Timer, y: Timer) => x.at < y.at || (x.at === y.at && x.seq < y.seq);

/** A binary min-heap of timers by (at, seq). */
class TimerHeap {
  private readonly items: Timer[] = [];
  peek(): Timer | undefined {
    return this.items[0];
  }
  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i] as Timer, a[p] as Timer)) break;
      [a[i], a[p]] = [a[p] as Timer, a[i] as Timer];
      i = p;
    }
  }
  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l] as Timer, a[m] as Timer)) m = l;
        if (r < a.length && before(a[r] as Timer, a[m] as Timer)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as Timer, a[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SimClock implements Clock {
  private current = 0;
  private seq = 0;
  private readonly timers = new TimerHeap();

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, wake }));
  }

  /** Runs until no timer is left or simulated time passes `untilMs`. */
  async run(untilMs: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.timers.peek();
      if (!next || next.at > untilMs) break;
      this.current = next.at;
      while (this.timers.peek()?.at === this.current) this.timers.pop()?.wake();
      await settle();
    }
  }
}
