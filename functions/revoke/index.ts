import { readClientAuthSettings, readHttpSettings } from '#commons/config.ts';
import { systemClock } from '#commons/domain/model.ts';
import { clientAuthentication, openRequestStore, tableFromEnv } from '#wiring/table.ts';
import { openTrustedTokenStore, runsLocally, trustedTokens } from '#wiring/trusted.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const table = tableFromEnv(env);
const store = openRequestStore(table);
const trustedTokenStore = openTrustedTokenStore(table);
const clock = systemClock;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  http: readHttpSettings(env),
  store,
  clock,
  clientAuth: clientAuthentication(store, clock, readClientAuthSettings(env)),
  trusted: trustedTokens({ store: trustedTokenStore, clock, allowLoopbackHttp: runsLocally(env) }),
});
