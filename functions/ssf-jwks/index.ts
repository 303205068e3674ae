import { readHttpSettings } from '#commons/config.ts';
import { jwksFromEnv } from '#wiring/ssf.ts';
import { createHandler } from './handler.ts';

const env = process.env;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({ http: readHttpSettings(env), ssfKeys: jwksFromEnv(env) });
