/**
 * [v3] What the routes that take a token need to judge a trusted issuer's: the cache of issuer settings
 * and the issuers' keys, one per function instance (so a warm function fetches an issuer's keys once).
 */
import { IssuerCache } from '../domain/issuer-cache.ts';
import type { TrustedTokens } from '../domain/trusted-tokens.ts';
import { logger } from '../log.ts';
import { clock } from '../runtime.ts';
import { type FetchReport, JwksKeySource } from './jwks.ts';
import { runsLocally, trustedTokenStore } from './runtime.ts';

/** How long a warm function keeps a registered issuer's settings (see IssuerCache for why this is safe). */
const ISSUER_CACHE_MS = 10 * 60 * 1000;

/**
 * One line per key fetch: which issuer, why, and how it went (never a key or a token). A fetch that went
 * well is debug detail: a request writes one INFO line, its request line.
 */
function logFetch(report: FetchReport): void {
  const fields = { jwks: { ...report } };
  if (report.ok) logger.debug('trusted issuer keys fetched', fields);
  else logger.warn('trusted issuer keys unavailable', fields);
}

export const trusted: TrustedTokens = {
  issuers: new IssuerCache({
    read: (issuerId) => trustedTokenStore.readIssuer(issuerId),
    clock,
    ttlMs: ISSUER_CACHE_MS,
  }),
  keys: new JwksKeySource({ clock, allowLoopbackHttp: runsLocally(), onFetch: logFetch }),
  store: trustedTokenStore,
  clock,
};
