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
   * Pairs remembered at most. When full, the pair with the oldest window is forgotten first: counting
   * is allowed to be approximate, memory is not allowed to grow with an attacker's inventiveness.
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
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly clock: Clock;

  constructor(options: AuthThrottleOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.clock = options.clock;
    this.windows = new ExpiringMap(options.windowMs, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  }

  /** Throws `TooManyFailedAuthentications` when the pair has used up its failures in its current window. */
  check(clientId: string, sourceIp: string): void {
    const now = this.clock();
    const window = this.windows.entry(pairKey(clientId, sourceIp), now);
    if (!window || window.value.failures < this.limit) return;
    throw new TooManyFailedAuthentications(Math.max(1, Math.ceil((window.at + this.windowMs - now) / 1000)));
  }

  /** Counts one failed authentication of the pair; returns the failures in its current window. */
  recordFailure(clientId: string, sourceIp: string): number {
    const now = this.clock();
    const key = pairKey(clientId, sourceIp);
    const window = this.windows.entry(key, now);
    if (window) return ++window.value.failures;
    this.windows.set(key, { failures: 1 }, now);
    return 1;
  }

  /** Pairs currently remembered (for tests and metrics). */
  get size(): number {
    return this.windows.size;
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
