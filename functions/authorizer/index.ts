import { routeScopesFromEnv } from '#commons/authorizer/route-scopes.ts';
import { systemClock } from '#commons/domain/model.ts';
import { openRequestStore, tableFromEnv } from '#wiring/table.ts';
import { openTrustedTokenStore, runsLocally, trustedTokens } from '#wiring/trusted.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const table = tableFromEnv(env);
const clock = systemClock;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  store: openRequestStore(table),
  clock,
  trusted: trustedTokens({ store: openTrustedTokenStore(table), clock, allowLoopbackHttp: runsLocally(env) }),
  // Read at the cold start, as the rest of the configuration: a bad rule fails it, not a request.
  routeScopes: routeScopesFromEnv(env),
});
