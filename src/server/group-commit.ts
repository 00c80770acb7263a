/**
 * Group commit: writes that arrive while a commit is running wait and go together in the next transaction, so that
 * N concurrent submissions cost one disk flush instead of N. Every waiter is answered only after the transaction
 * holding its write has committed; if it fails, every waiter of that batch gets the error (and nothing of the batch
 * is stored).
 *
 *   idle ──submit──> flush scheduled (next tick) ──> committing batch k ──submits meanwhile queue──> batch k+1 …
 */
export class GroupCommitter<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    /** Writes a batch in one transaction and returns one result per item, in order. */
    private readonly commit: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 256,
  ) {}

  /** Resolves with the item's result once its batch has committed. */
  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the writes of this event-loop turn join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.commit(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i] as R));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }
}
