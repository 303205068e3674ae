import { readHttpSettings } from '#commons/config.ts';
import { systemClock } from '#commons/domain/model.ts';
import { openSsfStore } from '#wiring/ssf.ts';
import { openRequestStore, tableFromEnv } from '#wiring/table.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const table = tableFromEnv(env);
const store = openRequestStore(table);
const clock = systemClock;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  http: readHttpSettings(env),
  store,
  clock,
  ssfStore: openSsfStore(table),
});
