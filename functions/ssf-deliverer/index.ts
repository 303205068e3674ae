import { openSsfStore, queueFromEnv, setIssuerFromEnv, signerFromEnv } from '#wiring/ssf.ts';
import { tableFromEnv } from '#wiring/table.ts';
import { createHandler } from './handler.ts';

const env = process.env;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  ssfStore: openSsfStore(tableFromEnv(env)),
  ssfQueue: queueFromEnv(env),
  setSigner: signerFromEnv(env),
  setIssuer: setIssuerFromEnv(env),
});
