import { systemClock } from '#commons/domain/model.ts';
import { tableFromEnv } from '#wiring/table.ts';
import { openTrustStore } from '#wiring/trusted.ts';
import { createHandler } from './handler.ts';

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  trustStore: openTrustStore(tableFromEnv(process.env)),
  clock: systemClock,
});
