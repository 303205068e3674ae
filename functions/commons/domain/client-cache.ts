import { ExpiringMap } from './expiring-map.ts';
import type { Client, Clock } from './model.ts';

/** Where `authenticateClient` gets client items: possibly from a cache, and always fresh on demand. */
export interface ClientLookup {
  /** The client, from a cache when one holds it (`cached`), else read from the store. */
  lookup(clientId: string): Promise<{ readonly client: Client | undefined; readonly cached: boolean }>;
  /** The client read consistently from the store, bypassing (and refreshing) any cache. */
  fresh(clientId: string): Promise<Client | undefined>;
}

export interface ClientCacheOptions {
  /** The store's consistent read of a client item. */
  readonly read: (clientId: string) => Promise<Client | undefined>;
  readonly clock: Clock;
  /** How long an item read may be reused; 0 disables the cache (every lookup reads). */
  readonly ttlMs: number;
  /** Items kept at most; the oldest go first. */
  readonly maxEntries?: number;
}

export const DEFAULT_MAX_CACHED_CLIENTS = 1000;

/**
 * A warm function's short-lived memory of the client items it read to authenticate callers, so a busy
 * client does not cost a read per request. It serves authentication only: whether a token is active is
 * always decided from a consistent read, never from here. Absent clients are not remembered (ids are
 * random, so a miss is a typo or a guess, and an authentication failure is re-read anyway).
 */
export class ClientCache implements ClientLookup {
  private readonly entries: ExpiringMap<Client>;
  private readonly read: (clientId: string) => Promise<Client | undefined>;
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(options: ClientCacheOptions) {
    this.read = options.read;
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
    this.entries = new ExpiringMap(options.ttlMs, options.maxEntries ?? DEFAULT_MAX_CACHED_CLIENTS);
  }

  async lookup(clientId: string): Promise<{ client: Client | undefined; cached: boolean }> {
    const entry = this.entries.entry(clientId, this.clock());
    if (entry) return { client: entry.value, cached: true };
    return { client: await this.fresh(clientId), cached: false };
  }

  async fresh(clientId: string): Promise<Client | undefined> {
    // The entry's age counts from before the read: what was read may already be that old.
    const readAt = this.clock();
    const client = await this.read(clientId);
    this.entries.delete(clientId);
    if (client && this.ttlMs > 0) this.entries.set(clientId, client, readAt);
    return client;
  }

  /** Items currently held (for tests). */
  get size(): number {
    return this.entries.size;
  }
}
