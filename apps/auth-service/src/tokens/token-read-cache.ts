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
 *
 * A notice travels on its own connection and can arrive after the caller's next request: a
 * change committed a moment ago would still be answered from memory. So before an entry is
 * used, `caughtUp` (the listener's round trip) makes sure every notice committed before the
 * call has been handled; if it fails, the caller reads afresh.
 */
export class TokenReadCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private isNotified = false;
  private caughtUp: (() => Promise<void>) | undefined;

  constructor(private readonly maxAgeMs: number) {}

  async get(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.kept(key)) return this.keep(key, read());

    // The entry may predate a change whose notice is still on its way.
    const waited = this.caughtUp?.() ?? Promise.resolve();
    const isCaughtUp = await waited.then(
      () => true,
      () => false,
    );
    if (!isCaughtUp) return this.keep(key, read());

    return this.kept(key)?.value ?? this.keep(key, read());
  }

  /** What is kept for the key and already read, as it stands: no wait, no read. */
  peek(key: string): T | undefined {
    return this.kept(key)?.settled;
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

  /**
   * Notices arrive (true) or may have been missed (false): either way, start afresh. While they
   * arrive, `caughtUp` resolves once every notice committed before its call has been handled.
   */
  setNotified(isNotified: boolean, caughtUp?: () => Promise<void>): void {
    this.isNotified = isNotified;
    this.caughtUp = isNotified ? caughtUp : undefined;
    this.entries.clear();
  }

  private kept(key: string) {
    const kept = this.entries.get(key);

    return kept && kept.keptUntil > Date.now() ? kept : undefined;
  }

  private keep(key: string, value: Promise<T>): Promise<T> {
    const entry: Entry<T> = { value, keptUntil: Date.now() + this.maxAgeMs };
    const drop = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    this.entries.set(key, entry);
    value.then((settled) => {
      entry.settled = settled;
      if (!this.isNotified) drop();
    }, drop);

    return value;
  }
}

interface Entry<T> {
  value: Promise<T>;
  keptUntil: number;
  /** The value, once read. */
  settled?: T;
}
