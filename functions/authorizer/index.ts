import { routeScopesFromEnv } from '#commons/authorizer/route-scopes.ts';
import { systemClock } from '#commons/domain/model.ts';
import { openTokenStore, tableFromEnv } from '#wiring/table.ts';
import { openTrustStore, runsLocally, trustedTokens } from '#wiring/trusted.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const table = tableFromEnv(env);
const clock = systemClock;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  store: openTokenStore(table),
  clock,
  trusted: trustedTokens({ trustStore: openTrustStore(table), clock, allowLoopbackHttp: runsLocally(env) }),
  // Read at the cold start, as the rest of the configuration: a bad rule fails it, not a request.
  routeScopes: routeScopesFromEnv(env),
});
