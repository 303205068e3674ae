import { systemClock } from '#commons/domain/model.ts';
import { openTokenStore, tableFromEnv } from '#wiring/table.ts';
import { createHandler } from './handler.ts';

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  store: openTokenStore(tableFromEnv(process.env)),
  clock: systemClock,
});
