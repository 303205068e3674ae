/**
 * [v3] The contract's rules for fetching trusted issuers' keys, apart from the fetcher (jwks.ts) so that
 * the CDK constructs, which check a registration at synth, load them without jose: the construct library
 * ships without runtime dependencies (docs/PACKAGE.md).
 */

/** The contract's fetch rules, and how long a failed fetch is not repeated. */
export const JWKS_RULES = {
  /** Deadline of one fetch, from the request to the last byte. */
  timeoutMs: 2000,
  /** The largest JWK Set response read. */
  maxBytes: 64 * 1024,
  /** How long a fetched set is kept, at most (shorter when the response's `max-age` says so). */
  maxAgeMs: 10 * 60 * 1000,
  /**
   * The shortest a set is kept: a `max-age` of 0 (or `no-store`) would otherwise put a fetch on every
   * request's path, which the contract rules out once keys are cached.
   */
  minAgeMs: 30 * 1000,
  /** At most one refetch per this long per issuer for a `kid` the cached set lacks. */
  kidMissCooldownMs: 30 * 1000,
  /** After a failed fetch, requests are answered 503 without fetching for this long (the Retry-After). */
  failureBackoffMs: 5 * 1000,
} as const;

/** Hosts that plain http may reach, and only when the service runs locally (never on Lambda). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a JWK Set URL may be fetched at all: https, or http to a loopback host when that is allowed. */
export function fetchableJwksUri(uri: string, allowLoopbackHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && allowLoopbackHttp && LOOPBACK.has(url.hostname);
}
