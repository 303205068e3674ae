import { readHttpSettings } from '#commons/config.ts';
import { openSsfStore } from '#wiring/ssf.ts';
import { tableFromEnv } from '#wiring/table.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const table = tableFromEnv(env);

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({ http: readHttpSettings(env), ssfStore: openSsfStore(table) });
