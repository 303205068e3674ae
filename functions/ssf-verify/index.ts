import { ssfQueueingRoute } from '#wiring/route-families.ts';
import { createHandler } from './handler.ts';

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler(ssfQueueingRoute(process.env));
