import { readHttpSettings, readIssuer } from '#commons/config.ts';
import { systemClock } from '#commons/domain/model.ts';
import { openSsfStore } from '#wiring/ssf.ts';
import { tableFromEnv } from '#wiring/table.ts';
import { openTrustStore, runsLocally, trustedTokens } from '#wiring/trusted.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const table = tableFromEnv(env);
const trustStore = openTrustStore(table);
const clock = systemClock;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  http: readHttpSettings(env),
  clock,
  trusted: trustedTokens({ store: trustStore, clock, allowLoopbackHttp: runsLocally(env) }),
  trustStore,
  ssfStore: openSsfStore(table),
  issuer: readIssuer(env),
});
