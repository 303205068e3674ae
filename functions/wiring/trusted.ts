/**
 * [v3] What the routes that take a token need to judge a trusted issuer's: the cache of issuer settings
 * and the issuers' keys, one per function instance (so a warm function fetches an issuer's keys once).
 * Its own module, so the admin functions that never verify a token do not carry jose.
 */
import { IssuerCache } from '#commons/domain/issuer-cache.ts';
import type { Clock } from '#commons/domain/model.ts';
import type { TrustedTokenStore } from '#commons/domain/trusted-store.ts';
import type { TrustedTokens } from '#commons/domain/trusted-tokens.ts';
import { logger } from '#commons/log.ts';
import { DynamoTrustStore } from '#commons/store/trusted.ts';
import { TrustedTokenDynamoStore } from '#commons/store/trusted-token-store.ts';
import { type FetchReport, JwksKeySource } from '#commons/trusted/jwks.ts';
import type { Table } from './table.ts';

/** How long a warm function keeps a registered issuer's settings (see IssuerCache for why this is safe). */
const ISSUER_CACHE_MS = 10 * 60 * 1000;

/**
 * Whether this process is the local server (or a test) rather than Lambda, where plain http to a
 * loopback host would reach the Lambda runtime's own API: the contract allows such JWK Set URLs locally only.
 */
export const runsLocally = (env: NodeJS.ProcessEnv): boolean => env.AWS_LAMBDA_FUNCTION_NAME === undefined;

/** The adapter of the trusted issuers' items (the registry, the admin routes' writes), on the table client. */
export const openTrustStore = (table: Table): DynamoTrustStore => new DynamoTrustStore(table);

/** What the routes that take a trusted token read and write: an issuer, a token's state, its revocation. */
export const openTrustedTokenStore = (table: Table): TrustedTokenDynamoStore =>
  new TrustedTokenDynamoStore(table);

/**
 * One line per key fetch: which issuer, why, and how it went (never a key or a token). A fetch that went
 * well is debug detail: a request writes one INFO line, its request line.
 */
function logFetch(report: FetchReport): void {
  const fields = { jwks: { ...report } };
  if (report.ok) logger.debug('trusted issuer keys fetched', fields);
  else logger.warn('trusted issuer keys unavailable', fields);
}

export interface TrustedTokensOptions {
  /** The trusted tokens' port (`openTrustedTokenStore`; the registry's adapter extends it). */
  readonly store: TrustedTokenStore;
  readonly clock: Clock;
  /** Locally only: JWK Set URLs may be plain http to a loopback host (see `runsLocally`). */
  readonly allowLoopbackHttp: boolean;
}

/** The trusted issuers' verifier of one function instance: issuer cache, key source, store and clock. */
export function trustedTokens(options: TrustedTokensOptions): TrustedTokens {
  const { store, clock } = options;
  return {
    issuers: new IssuerCache({
      read: (issuerId) => store.readIssuer(issuerId),
      clock,
      ttlMs: ISSUER_CACHE_MS,
    }),
    keys: new JwksKeySource({ clock, allowLoopbackHttp: options.allowLoopbackHttp, onFetch: logFetch }),
    store,
    clock,
  };
}
