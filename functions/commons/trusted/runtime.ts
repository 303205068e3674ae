/**
 * [v3] Per-process singletons for judging trusted issuers' tokens, beside `runtime.ts`'s: the adapter of
 * their items (the same DynamoDB client), the cache of issuer settings and the issuers' keys.
 */
import { IssuerCache } from '../domain/issuer-cache.ts';
import type { TrustedTokens } from '../domain/trusted-tokens.ts';
import { logger } from '../log.ts';
import { clock, config, dynamoClient } from '../runtime.ts';
import { DynamoTrustStore } from '../store/trusted.ts';
import { type FetchReport, JwksKeySource } from './jwks.ts';

/** How long a warm function keeps a registered issuer's settings (see IssuerCache for why this is safe). */
const ISSUER_CACHE_MS = 10 * 60 * 1000;

/**
 * Whether this process is the local server (or a test) rather than Lambda, where plain http to a
 * loopback host would reach the Lambda runtime's own API: the contract allows such JWK Set URLs locally only.
 */
export const runsLocally = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.AWS_LAMBDA_FUNCTION_NAME === undefined;

export const trustStore = new DynamoTrustStore({ client: dynamoClient, tableName: config.tableName });

/** One line per key fetch: which issuer, why, and how it went (never a key or a token). */
function logFetch(report: FetchReport): void {
  const fields = { jwks: { ...report } };
  if (report.ok) logger.info('trusted issuer keys fetched', fields);
  else logger.warn('trusted issuer keys unavailable', fields);
}

export const trusted: TrustedTokens = {
  issuers: new IssuerCache({
    read: (issuerId) => trustStore.readIssuer(issuerId),
    clock,
    ttlMs: ISSUER_CACHE_MS,
  }),
  keys: new JwksKeySource({ clock, allowLoopbackHttp: runsLocally(), onFetch: logFetch }),
  store: trustStore,
  clock,
};
