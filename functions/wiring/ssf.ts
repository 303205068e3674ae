/**
 * [v3] What the SSF functions' composition roots build: the SSF store on the function's table client, the
 * deliverer's SQS queue, and the KMS client of the signing keys. Each is built when a root calls it, at
 * its cold start, from the settings it read (`SSF_ENV`).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '#commons/config.ts';
import type { SetSigner, SsfQueue } from '#commons/domain/ssf-delivery.ts';
import { tracer } from '#commons/observability.ts';
import { kmsKeyIds, SSF_ENV, setIssuer } from '#commons/ssf/config.ts';
import { type JwkSet, kmsJwks, kmsSigner, localJwks, localSigner } from '#commons/ssf/keys.ts';
import { SQS_MAX_DELAY_MS, sqsQueue } from '#commons/ssf/queue.ts';
import { SsfDynamoStore } from '#commons/store/ssf.ts';
import type { Table } from './table.ts';

/** The adapter of the SSF items (streams, SETs), on the function's table client. */
export const openSsfStore = (table: Table): SsfDynamoStore =>
  new SsfDynamoStore({ client: table.client, tableName: table.tableName });

/**
 * The deliverer's queue of a Lambda environment (`SSF_QUEUE_URL`), on a client built at first use: of the
 * routes that take it, most calls never send. Locally the local server passes its in-process queue instead.
 */
export function queueFromEnv(env: NodeJS.ProcessEnv): SsfQueue {
  const url = env[SSF_ENV.queueUrl];
  let queue: SsfQueue | undefined;
  const open = () => {
    // At first use, as before roots: a function given no queue fails the call that needs one, not its start.
    if (!url) throw new Error(`${SSF_ENV.queueUrl} is not set`);
    queue ??= sqsQueue(
      tracer.captureAWSv3Client(
        new SQSClient({
          maxAttempts: 3,
          requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
        }),
      ),
      url,
    );
    return queue;
  };
  return {
    maxDelayMs: SQS_MAX_DELAY_MS,
    send: (message, delayMs) => open().send(message, delayMs),
  };
}

/** The KMS client of the signing keys (the deliverer signs, the JWKS route reads the public keys). */
export const kmsClient = (): KMSClient =>
  tracer.captureAWSv3Client(
    new KMSClient({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
    }),
  );

/** The directory of the local signing key, for the environments without KMS keys. */
function localKeyDir(env: NodeJS.ProcessEnv): string {
  const dir = env[SSF_ENV.keyDir];
  if (!dir) throw new Error(`${SSF_ENV.signingKeyIds} or ${SSF_ENV.keyDir} must be set`);
  return dir;
}

/**
 * The JWKS route's keys: every published KMS key's public key (`SSF_SIGNING_KEY_IDS`), else the local key
 * directory's (`SSF_KEY_DIR`). Missing both fails the route's first request (as before roots), not its start.
 */
export function jwksFromEnv(env: NodeJS.ProcessEnv): () => Promise<JwkSet> {
  const keyIds = kmsKeyIds(env);
  if (keyIds.length > 0) {
    const kms = kmsClient();
    return () => kmsJwks(kms, keyIds);
  }
  const dir = env[SSF_ENV.keyDir];
  return async () => localJwks(localKeyDir({ [SSF_ENV.keyDir]: dir }));
}

/** The deliverer's signer: the first KMS key (`SSF_SIGNING_KEY_IDS`), else the local key directory's. */
export function signerFromEnv(env: NodeJS.ProcessEnv): SetSigner {
  const [signingKey] = kmsKeyIds(env);
  if (signingKey !== undefined) return kmsSigner(kmsClient(), signingKey);
  return localSigner(localKeyDir(env));
}

/**
 * The SETs' `iss` of an environment: `ISSUER`, else `SSF_DEFAULT_ISSUER`, read now and checked per SET
 * (so a deliverer without either fails its SETs, each with the reason, as before roots).
 */
export function setIssuerFromEnv(env: NodeJS.ProcessEnv): () => string {
  const settings = { [ENV.issuer]: env[ENV.issuer], [SSF_ENV.defaultIssuer]: env[SSF_ENV.defaultIssuer] };
  return () => setIssuer(settings);
}
