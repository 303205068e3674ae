/**
 * [v3] The keys of trusted issuers: a JWK Set given at registration, or one fetched from the issuer's
 * `jwksUri` by the contract's rules ("Trusted issuers", Keys).
 *
 * Why not jose's `createRemoteJWKSet`: its options cover a timeout, a cache age and a cooldown, but not
 * the rest of what the contract asks. It reads a response of any size (the contract caps it at 64 KiB),
 * fetches any URL scheme (the contract wants https, plain http only to loopback and only locally), keeps a
 * set for one fixed age whatever the response's `Cache-Control: max-age` says, applies its cooldown to
 * every refetch rather than to the refetches a missing `kid` causes, and fails with the same kind of
 * error whether the keys could not be fetched or a fetched set lacks the key, which are a 503 and an
 * inactive token here. So this module fetches itself (Node's `fetch`, redirects refused, a hard deadline
 * over headers and body, a byte cap while reading) and hands each set to jose's `createLocalJWKSet`, which
 * does the key selection (`kid`, `alg`, `use`, `key_ops`) and key import exactly as jose's own remote
 * set would.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { KeysUnavailable } from '../domain/errors.ts';
import type { Issuer } from '../domain/issuers.ts';
import type { Clock } from '../domain/model.ts';
import type { KeySource } from '../domain/trusted-tokens.ts';
import { fetchableJwksUri, JWKS_RULES } from './jwks-rules.ts';

export { fetchableJwksUri, JWKS_RULES } from './jwks-rules.ts';

/** One fetch's outcome, for the log line and the counters. */
export interface FetchReport {
  readonly issuerId: string;
  readonly issuer: string;
  readonly reason: 'first use' | 'expired' | 'unknown kid';
  readonly ok: boolean;
  /** Why it failed: a status, a timeout, the size cap, a redirect, a network error code. */
  readonly cause?: string;
  readonly durationMs: number;
}

export interface JwksKeySourceOptions {
  readonly clock: Clock;
  /** Plain http to loopback hosts: the local server and the tests only, never on Lambda. */
  readonly allowLoopbackHttp: boolean;
  /** Each fetch's outcome (log line, metric, the benchmark's count). */
  readonly onFetch?: (report: FetchReport) => void;
  /** Overrides of the rules (tests shorten the waits). */
  readonly rules?: Partial<typeof JWKS_RULES>;
}

class FetchFailed extends Error {}

/** `max-age` of a Cache-Control header, in seconds; `no-store`/`no-cache` count as 0. */
export function maxAgeSeconds(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Reads at most `maxBytes` of a body; more is a failure (the rest is never read). */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new FetchFailed(`response over ${maxBytes} bytes`);
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new FetchFailed(`response over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): string {
  if (error instanceof FetchFailed) return error.message;
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : error.name;
}

/** The keys of one registration of one issuer. */
class IssuerKeys {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private freshUntil = 0;
  private failedAt: number | undefined;
  private kidRefetchAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly issuer: Issuer,
    private readonly options: JwksKeySourceOptions,
    private readonly rules: typeof JWKS_RULES,
  ) {
    if (issuer.jwks !== undefined) {
      this.keys = createLocalJWKSet(issuer.jwks);
      this.freshUntil = Number.POSITIVE_INFINITY;
    }
  }

  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    await this.fresh();
    try {
      // biome-ignore lint/style/noNonNullAssertion: fresh() leaves a set or throws.
      return await this.keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.issuer.jwks !== undefined) throw error;
      const now = this.options.clock();
      if (now - this.kidRefetchAt < this.rules.kidMissCooldownMs) {
        // Refetched recently: the key is not there (or the issuer could not be reached: 503).
        if (this.failedAt !== undefined && this.failedAt >= this.kidRefetchAt) throw this.unavailable(now);
        throw error;
      }
      this.kidRefetchAt = now;
      await this.fetch('unknown kid');
      // biome-ignore lint/style/noNonNullAssertion: fetch() leaves a set or throws.
      return this.keys!(header, token);
    }
  };

  /** A set that is still fresh, fetched when there is none; `KeysUnavailable` when it cannot be had. */
  private async fresh(): Promise<void> {
    const now = this.options.clock();
    if (this.keys && now < this.freshUntil) return;
    if (this.failedAt !== undefined && now - this.failedAt < this.rules.failureBackoffMs) {
      throw this.unavailable(now);
    }
    await this.fetch(this.keys ? 'expired' : 'first use');
  }

  private unavailable(now: number, cause?: unknown): KeysUnavailable {
    const waitMs = (this.failedAt ?? now) + this.rules.failureBackoffMs - now;
    return new KeysUnavailable(this.issuer.issuerId, Math.max(1, Math.ceil(waitMs / 1000)), cause);
  }

  /** One fetch at a time per issuer: concurrent requests wait for the same one. */
  private fetch(reason: FetchReport['reason']): Promise<void> {
    this.pending ??= this.load(reason).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async load(reason: FetchReport['reason']): Promise<void> {
    const started = this.options.clock();
    const report = (ok: boolean, cause?: string) =>
      this.options.onFetch?.({
        issuerId: this.issuer.issuerId,
        issuer: this.issuer.issuer,
        reason,
        ok,
        ...(cause !== undefined && { cause }),
        durationMs: this.options.clock() - started,
      });
    try {
      const uri = this.issuer.jwksUri ?? '';
      if (!fetchableJwksUri(uri, this.options.allowLoopbackHttp)) {
        throw new FetchFailed('jwksUri is not https (http only to loopback, locally)');
      }
      const response = await fetch(uri, {
        redirect: 'manual',
        signal: AbortSignal.timeout(this.rules.timeoutMs),
        headers: { accept: 'application/jwk-set+json, application/json' },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new FetchFailed(
          response.status >= 300 && response.status < 400
            ? `redirect (${response.status})`
            : `status ${response.status}`,
        );
      }
      const text = await readCapped(response, this.rules.maxBytes);
      let keys: ReturnType<typeof createLocalJWKSet>;
      try {
        keys = createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
      } catch {
        throw new FetchFailed('not a JWK Set');
      }
      const now = this.options.clock();
      const maxAge = maxAgeSeconds(response.headers.get('cache-control'));
      const ageMs =
        maxAge === undefined
          ? this.rules.maxAgeMs
          : Math.max(this.rules.minAgeMs, Math.min(this.rules.maxAgeMs, maxAge * 1000));
      this.keys = keys;
      this.freshUntil = now + ageMs;
      this.failedAt = undefined;
      report(true);
    } catch (error) {
      const now = this.options.clock();
      this.failedAt = now;
      // A set past its age is no longer kept (contract, Keys); a fresh one stays (a kid refetch failed).
      if (now >= this.freshUntil) this.keys = undefined;
      report(false, describe(error));
      throw this.unavailable(now, error);
    }
  }
}

/**
 * The keys of every registered issuer a warm function has met, per registration (an issuer registered
 * anew gets fresh keys). One per function instance.
 */
export class JwksKeySource implements KeySource {
  private readonly issuers = new Map<string, IssuerKeys>();
  private readonly rules: typeof JWKS_RULES;

  constructor(private readonly options: JwksKeySourceOptions) {
    this.rules = { ...JWKS_RULES, ...options.rules };
  }

  keysOf(issuer: Issuer): JWTVerifyGetKey {
    const id = `${issuer.issuerId}@${issuer.createdAt}`;
    let keys = this.issuers.get(id);
    if (!keys) {
      // A registration seen before under an older createdAt will not be used again.
      for (const key of this.issuers.keys())
        if (key.startsWith(`${issuer.issuerId}@`)) this.issuers.delete(key);
      keys = new IssuerKeys(issuer, this.options, this.rules);
      this.issuers.set(id, keys);
    }
    return keys.resolve;
  }
}
