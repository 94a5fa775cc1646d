/** A contact whose records changed, waiting to be evaluated with others of its location. */
interface Waiting {
  contactId: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface ContactEventBatcherOptions {
  /** Evaluates one batch of contacts of one location. */
  evaluate: (locationId: string, contactIds: string[]) => Promise<unknown>;
  /** Contacts per batch at most. */
  maxBatch: number;
  /** How long the first event of a batch waits for others (ms). */
  lingerMs: number;
  /** Evaluations of one location at once; what arrives beyond waits for the next batch. */
  parallel: number;
}

/**
 * Gathers the contacts of events handled at the same time into one evaluation per location:
 * one read of the records and one claim statement for many events instead of one each. A few
 * evaluations per location run at a time; what arrives meanwhile is the next batch (a group
 * commit). Each event's promise settles with its batch, so a failure retries every event of the
 * batch (the ledger keeps what was done from being done again).
 */
export class ContactEventBatcher {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, number>();

  constructor(private readonly options: ContactEventBatcherOptions) {}

  add(locationId: string, contactId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(locationId) ?? [];
      queue.push({ contactId, resolve, reject });
      this.waiting.set(locationId, queue);
      if ((this.running.get(locationId) ?? 0) >= this.options.parallel) return;
      if (queue.length >= this.options.maxBatch) void this.flush(locationId);
      else if (!this.timers.has(locationId)) {
        this.timers.set(
          locationId,
          setTimeout(() => void this.flush(locationId), this.options.lingerMs),
        );
      }
    });
  }

  private async flush(locationId: string): Promise<void> {
    clearTimeout(this.timers.get(locationId));
    this.timers.delete(locationId);
    const waiting = this.waiting.get(locationId) ?? [];
    const batch = waiting.splice(0, this.options.maxBatch);
    if (waiting.length === 0) this.waiting.delete(locationId);
    if (batch.length === 0) return;

    this.running.set(locationId, (this.running.get(locationId) ?? 0) + 1);
    try {
      await this.options.evaluate(locationId, [...new Set(batch.map((item) => item.contactId))]);
      for (const item of batch) item.resolve();
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      this.running.set(locationId, (this.running.get(locationId) ?? 1) - 1);
      // What arrived during this evaluation goes next, without waiting any longer.
      if (this.waiting.has(locationId)) void this.flush(locationId);
    }
  }
}
