import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { TooManyFailedAuthentications } from './errors.ts';
import { ExpiringMap } from './expiring-map.ts';
import type { Clock } from './model.ts';
import { hashSecret } from './secrets.ts';

export interface AuthThrottleOptions {
  /** Failures a pair may make within one window; the next attempt is refused. */
  readonly limit: number;
  /** The window, counted from the pair's first failure in it. */
  readonly windowMs: number;
  readonly clock: Clock;
  /**
   * Pairs counted at most. When full, the pair with the oldest window is forgotten first: counting is
   * allowed to be approximate, memory is not allowed to grow with an attacker's inventiveness. Locked
   * pairs are kept apart, up to as many again, so junk never evicts them (see `AuthThrottle`).
   */
  readonly maxEntries?: number;
}

/** A pair's failures in its current window (the window starts when the entry was set). */
interface Window {
  failures: number;
}

/** Enough for the pairs of a busy function instance, small enough (a few MB) for any Lambda. */
export const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Throttles failed client authentication per (claimed client id, source IP), in memory: after `limit`
 * failures within `windowMs` of the pair's first one, every attempt from the pair is refused until that
 * window passes. Refused attempts are not failures, so they never extend the window. Nothing here reads
 * or writes the table: a successful request costs nothing.
 */
export class AuthThrottle {
  private readonly windows: ExpiringMap<Window>;
  /**
   * Pairs that used up their failures, until their window ends. Apart from `windows` so that a flood of
   * failures under made-up client ids (each a new pair) cannot push a locked pair out and give its
   * attacker fresh attempts: to evict a locked pair one must lock `maxEntries` others, `limit` failures
   * each. Both maps evict the oldest first, so memory stays bounded at twice `maxEntries`.
   */
  private readonly locked: ExpiringMap<number>;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly clock: Clock;

  constructor(options: AuthThrottleOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.clock = options.clock;
    this.windows = new ExpiringMap(options.windowMs, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.locked = new ExpiringMap(options.windowMs, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  }

  /** Throws `TooManyFailedAuthentications` when the pair has used up its failures in its current window. */
  check(clientId: string, sourceIp: string): void {
    const now = this.clock();
    // The lock's value is when it ends: the end of the window in which the pair used up its failures.
    const until = this.locked.entry(pairKey(clientId, sourceIp), now)?.value;
    if (until === undefined || until <= now) return;
    throw new TooManyFailedAuthentications(Math.max(1, Math.ceil((until - now) / 1000)));
  }

  /** Counts one failed authentication of the pair; returns the failures in its current window. */
  recordFailure(clientId: string, sourceIp: string): number {
    const now = this.clock();
    const key = pairKey(clientId, sourceIp);
    const window = this.windows.entry(key, now);
    const failures = window ? ++window.value.failures : 1;
    if (!window) this.windows.set(key, { failures }, now);
    if (failures >= this.limit && !this.locked.entry(key, now)) {
      this.locked.set(key, (window?.at ?? now) + this.windowMs, now);
    }
    return failures;
  }

  /** Pairs currently remembered, counted and locked (for tests and metrics). */
  get size(): number {
    return this.windows.size + this.locked.size;
  }
}

/**
 * The map key of a pair. A claimed id longer than any issued cannot authenticate anyway; it is kept as
 * its hash so that a flood of huge ids cannot make the map huge.
 */
function pairKey(clientId: string, sourceIp: string): string {
  const id = clientId.length > MAX_CLIENT_ID_LENGTH ? `#${hashSecret(clientId)}` : clientId;
  return `${sourceIp} ${id}`;
}
