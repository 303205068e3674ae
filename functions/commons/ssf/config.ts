/**
 * The SSF transmitter's settings, from an environment its composition root passes: which keys sign (KMS
 * on AWS, a key directory locally), the deliverer's queue, and the issuer the deliverer names in SETs when
 * no request gives one.
 */
import { checkIssuer, ENV } from '../config.ts';

/** Environment variable names, shared with the CDK construct and the local server. */
export const SSF_ENV = {
  /** AWS: KMS key ARNs, comma-separated; the first signs, every one is published at `jwks_uri`. */
  signingKeyIds: 'SSF_SIGNING_KEY_IDS',
  /** Locally: the directory holding the generated signing key (the data directory). */
  keyDir: 'SSF_KEY_DIR',
  /** AWS: the deliverer's SQS queue (wake-ups, verifications, redeliveries). */
  queueUrl: 'SSF_QUEUE_URL',
  /**
   * The SETs' `iss` when `ISSUER` is not set: on AWS the API's URL (set by the construct on the
   * deliverer), locally `http://localhost:PORT` (set by the local server once it listens).
   */
  defaultIssuer: 'SSF_DEFAULT_ISSUER',
} as const;

/** The issuer SETs name: `ISSUER`, else the default the deployment or the local server gives. */
export function setIssuer(env: NodeJS.ProcessEnv): string {
  const configured = env[ENV.issuer] || env[SSF_ENV.defaultIssuer];
  if (!configured) throw new Error(`${ENV.issuer} or ${SSF_ENV.defaultIssuer} must be set to sign SETs`);
  return checkIssuer(configured, env[ENV.issuer] ? ENV.issuer : SSF_ENV.defaultIssuer);
}

/** The KMS signing keys, the signing one first; empty when the keys are local. */
export function kmsKeyIds(env: NodeJS.ProcessEnv): string[] {
  return (env[SSF_ENV.signingKeyIds] ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
}
