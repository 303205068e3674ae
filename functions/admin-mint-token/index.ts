import { fromEnv } from '@aws-sdk/credential-provider-env';
import { readHttpSettings } from '#commons/config.ts';
import { systemClock } from '#commons/domain/model.ts';
import { readSubjectKeySettings, subjectKeySource } from '#commons/subject-key.ts';
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
  subjectKeys: subjectKeySource(readSubjectKeySettings(env, fromEnv())),
});
