import { fromEnv } from '@aws-sdk/credential-provider-env';
import { readHttpSettings, readIssuer } from '#commons/config.ts';
import { systemClock } from '#commons/domain/model.ts';
import { readSubjectKeySettings, subjectKeySource } from '#commons/subject-key.ts';
import { openAdminStore, tableFromEnv } from '#wiring/table.ts';
import { openTrustStore } from '#wiring/trusted.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const table = tableFromEnv(env);
const adminStore = openAdminStore(table);
const trustStore = openTrustStore(table);
const clock = systemClock;

/** The composition root: this function's settings and dependencies, built once per cold start. */
export const handler = createHandler({
  http: readHttpSettings(env),
  adminStore,
  clock,
  trustStore,
  issuer: readIssuer(env),
  subjectKeys: subjectKeySource(readSubjectKeySettings(env, fromEnv())),
});
