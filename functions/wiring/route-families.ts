/**
 * The dependencies of the route families whose functions are built alike: a root of such a family calls
 * its builder with its environment, at its cold start. Each builder reads the settings of its family only
 * and opens the adapters of its port only (a function's bundle carries what its builder reaches, no more).
 * Functions with needs of their own (token, authorizer, the stream consumers, the SSF deliverer, ...) build
 * theirs in their own root.
 */
import { readClientAuthSettings, readHttpSettings, readIssuer } from '#commons/config.ts';
import type { Dependencies } from '#commons/dependencies.ts';
import { systemClock } from '#commons/domain/model.ts';
import { openSsfStore, queueFromEnv } from './ssf.ts';
import { clientAuthentication, openAdminStore, openRequestStore, tableFromEnv } from './table.ts';
import { openTrustedTokenStore, openTrustStore, runsLocally, trustedTokens } from './trusted.ts';

type Env = NodeJS.ProcessEnv;

/** RFC 7009 revoke and RFC 7662 introspection: a client authenticates, and the token may be a trusted JWT. */
export function tokenCheckingRoute(
  env: Env,
): Pick<Dependencies, 'http' | 'store' | 'clock' | 'clientAuth' | 'trusted'> {
  const table = tableFromEnv(env);
  const store = openRequestStore(table);
  const clock = systemClock;
  return {
    http: readHttpSettings(env),
    store,
    clock,
    clientAuth: clientAuthentication(store, clock, readClientAuthSettings(env)),
    trusted: trustedTokens({
      store: openTrustedTokenStore(table),
      clock,
      allowLoopbackHttp: runsLocally(env),
    }),
  };
}

/** The SSF stream management routes: the receiver's bearer token, its streams, the SETs' issuer. */
export function ssfManagementRoute(
  env: Env,
): Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'issuer'> {
  const table = tableFromEnv(env);
  return {
    http: readHttpSettings(env),
    store: openRequestStore(table),
    clock: systemClock,
    ssfStore: openSsfStore(table),
    issuer: readIssuer(env),
  };
}

/** The SSF routes that ask the deliverer for a SET (status updates, verification): its queue too. */
export function ssfQueueingRoute(
  env: Env,
): Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'issuer' | 'ssfQueue'> {
  return { ...ssfManagementRoute(env), ssfQueue: queueFromEnv(env) };
}

/** The admin routes that read or revoke one of the service's tokens. */
export function adminTokenRoute(env: Env): Pick<Dependencies, 'http' | 'store' | 'clock'> {
  return { http: readHttpSettings(env), store: openRequestStore(tableFromEnv(env)), clock: systemClock };
}

/** The admin routes of clients: create, delete, list, cut off, rotate a secret. */
export function adminClientRoute(env: Env): Pick<Dependencies, 'http' | 'adminStore' | 'clock'> {
  return { http: readHttpSettings(env), adminStore: openAdminStore(tableFromEnv(env)), clock: systemClock };
}

/** The admin routes of trusted issuers: the registry and the revocations of an issuer's tokens. */
export function adminIssuerRoute(env: Env): Pick<Dependencies, 'http' | 'trustStore' | 'clock'> {
  return { http: readHttpSettings(env), trustStore: openTrustStore(tableFromEnv(env)), clock: systemClock };
}

/** The public documents (metadata, the service index, the SSF configuration): no table at all. */
export function publicDocumentRoute(env: Env): Pick<Dependencies, 'http' | 'issuer'> {
  return { http: readHttpSettings(env), issuer: readIssuer(env) };
}
