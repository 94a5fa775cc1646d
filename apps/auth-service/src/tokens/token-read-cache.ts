/**
 * What each location's last read of its connection and token gave, kept in memory. When a token
 * expires every sync worker asks for it at once, and reading and decrypting the same row for
 * each of them would cost more than answering them; most of the time the answer is the same
 * token, for hours.
 *
 * An entry is kept only while change notices are arriving (see `ConnectionChangeListener`):
 * a notice for a location, which Postgres sends on every write to its rows, drops that entry;
 * losing the notices drops them all. Without notices, a read is shared only by the callers that
 * arrive while it runs. An entry also goes after `maxAgeMs` at the latest, and a failed read is
 * never kept.
 */
export class TokenReadCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; keptUntil: number }>();
  private isNotified = false;

  constructor(private readonly maxAgeMs: number) {}

  get(key: string, read: () => Promise<T>): Promise<T> {
    const kept = this.entries.get(key);
    if (kept && kept.keptUntil > Date.now()) return kept.value;

    return this.keep(key, read());
  }

  /** What the caller just wrote (a refreshed token) replaces what was read before it. */
  replace(key: string, value: T): void {
    void this.keep(key, Promise.resolve(value));
  }

  /** The location's rows changed: its next caller reads them again. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  forgetAll(): void {
    this.entries.clear();
  }

  /** Notices arrive (true) or may have been missed (false): either way, start afresh. */
  setNotified(isNotified: boolean): void {
    this.isNotified = isNotified;
    this.entries.clear();
  }

  private keep(key: string, value: Promise<T>): Promise<T> {
    const entry = { value, keptUntil: Date.now() + this.maxAgeMs };
    const drop = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    this.entries.set(key, entry);
    value.then(() => this.isNotified || drop(), drop);

    return value;
  }
}
