/**
 * Group commit: writes that arrive while a commit is running wait and go together in the next transaction, so that
 * N concurrent submissions cost one disk flush instead of N. Every waiter is answered only after the transaction
 * holding its write has committed.
 *
 * One item must never fail the others: when a batch's transaction fails (nothing of it is stored), each of its items
 * is committed again alone, so only the item that really fails gets the error and every other waiter its result.
 * Failures are rare (the schemas let in only what the database stores), so the fallback costs nothing in the common
 * case; devices retry a 5xx, and a poisoned batch would otherwise come back with its poison.
 *
 *   idle ──submit──> flush scheduled (next tick) ──> committing batch k ──submits meanwhile queue──> batch k+1 …
 *                                                          │ fails
 *                                                          └──> each item of batch k alone ──> its own result or error
 */
export class GroupCommitter<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    /** Writes a batch in one transaction and returns one result per item, in order. */
    private readonly commit: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 256,
  ) {}

  /** Resolves with the item's result once its batch has committed; rejects only with this item's own error. */
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
        if (batch.length === 1) batch[0]?.reject(err);
        else await this.eachAlone(batch);
      }
    }
    this.running = false;
  }

  private async eachAlone(batch: typeof this.queue): Promise<void> {
    for (const w of batch) {
      try {
        const [result] = await this.commit([w.item]);
        w.resolve(result as R);
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
