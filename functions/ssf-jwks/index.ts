import { KMSClient } from '@aws-sdk/client-kms';
import { StoreUnavailable } from '#commons/domain/errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { tracer } from '#commons/observability.ts';
import { kmsKeyIds, SSF_ENV } from '#commons/ssf/config.ts';
import { type JwkSet, kmsJwks, localJwks } from '#commons/ssf/keys.ts';

const keyIds = kmsKeyIds();
const kms =
  keyIds.length > 0
    ? tracer.captureAWSv3Client(
        new KMSClient({
          maxAttempts: 3,
          requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
        }),
      )
    : undefined;

/** The public keys change only with a deployment: read once per instance, again only after a failure. */
let keys: Promise<JwkSet> | undefined;

function load(): Promise<JwkSet> {
  if (kms) return kmsJwks(kms, keyIds);
  const dir = process.env[SSF_ENV.keyDir];
  if (!dir) throw new Error(`${SSF_ENV.signingKeyIds} or ${SSF_ENV.keyDir} must be set`);
  return localJwks(dir);
}

/**
 * GET /ssf/jwks: the JWK Set of the keys that sign the SETs (the transmitter's `jwks_uri`). Receivers may
 * cache it for an hour; a key added by a rotation is published a day before it signs (docs/ssf.md).
 */
export const handler = httpHandler('ssf-jwks', { errors: 'oauth' }, async () => {
  keys ??= load();
  try {
    return { statusCode: 200, json: await keys, headers: { 'Cache-Control': 'public, max-age=3600' } };
  } catch (error) {
    keys = undefined;
    // KMS (or the key file) is a dependency like the table: its failure is a 503 with Retry-After.
    throw new StoreUnavailable(error);
  }
});
