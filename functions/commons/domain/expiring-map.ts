/**
 * A bounded in-memory map whose entries expire a fixed time after they were set: the memory of a warm
 * function instance (the client cache, the failed-authentication throttle). Entries are kept in the order
 * they were set (setting a key again moves it to the end), so expired ones are always at the front and
 * evicting them is cheap; beyond `maxEntries` the oldest go first, so memory cannot grow with a caller's
 * inventiveness.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { readonly at: number; readonly value: V }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The live entry under `key` and when it was set, if it was set less than `ttlMs` before `now`. */
  entry(key: string, now: number): { readonly at: number; readonly value: V } | undefined {
    this.evictExpired(now);
    return this.entries.get(key);
  }

  /** Sets `key` as of `at`, as the newest entry. */
  set(key: string, value: V, at: number): void {
    this.entries.delete(key);
    this.entries.set(key, { at, value });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Entries currently held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private evictExpired(now: number): void {
    for (const [key, { at }] of this.entries) {
      if (now < at + this.ttlMs) return;
      this.entries.delete(key);
    }
  }
}
