import { systemClock } from '#commons/domain/model.ts';
import { openSweepStore, tableFromEnv } from '#wiring/table.ts';
import { createHandler } from './handler.ts';

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  sweepStore: openSweepStore(tableFromEnv(process.env)),
  clock: systemClock,
});
