import { readHttpSettings } from '#commons/config.ts';
import { systemClock } from '#commons/domain/model.ts';
import { openRequestStore, tableFromEnv } from '#wiring/table.ts';
import { createHandler } from './handler.ts';

const env = process.env;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  http: readHttpSettings(env),
  store: openRequestStore(tableFromEnv(env)),
  clock: systemClock,
});
