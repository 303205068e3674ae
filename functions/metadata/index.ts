import { readHttpSettings, readIssuer } from '#commons/config.ts';
import { createHandler } from './handler.ts';

const env = process.env;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({ http: readHttpSettings(env), issuer: readIssuer(env) });
