import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { KMSClient } from '@aws-sdk/client-kms';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, observe, tracer } from '#commons/observability.ts';
import { kmsKeyIds, SSF_ENV } from '#commons/ssf/config.ts';
import { kmsSigner, localSigner } from '#commons/ssf/keys.ts';
import { ssfQueue } from '#commons/ssf/runtime.ts';
import { createTransmitter, handleMessage } from '#commons/ssf/transmitter.ts';

const [signingKey] = kmsKeyIds();

function signer() {
  if (signingKey !== undefined) {
    const kms = tracer.captureAWSv3Client(
      new KMSClient({
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
      }),
    );
    return kmsSigner(kms, signingKey);
  }
  const dir = process.env[SSF_ENV.keyDir];
  if (!dir) throw new Error(`${SSF_ENV.signingKeyIds} or ${SSF_ENV.keyDir} must be set`);
  return localSigner(dir);
}

const transmitter = createTransmitter(signer(), ssfQueue());
const processor = new BatchProcessor(EventType.SQS);

/** A body that is not JSON is nobody's message: handled as unknown (logged, dropped), never retried. */
function parseBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The SSF deliverer (SQS): revocation events from the service's bus become SETs for every stream that
 * takes them, pushed at once; wake-ups push what waits (retries, a re-enabled stream, redeliveries);
 * verification requests become verification SETs. The only function that may sign. A message whose
 * handling throws (the table or KMS failing) is reported failed and comes back after the queue's
 * visibility timeout; after five receipts it goes to the dead-letter queue, which has an alarm.
 */
export const handler = middy(async (event: SQSEvent, context: Context) => {
  const response = await processPartialResponse(
    event,
    async (record: SQSRecord) => handleMessage(transmitter, parseBody(record.body)),
    processor,
    { context, throwOnFullBatchFailure: false },
  );
  if (response.batchItemFailures.length > 0) {
    logger.warn('SSF messages failed', {
      failed: response.batchItemFailures.length,
      messages: event.Records.length,
    });
  }
  return response;
}).use(observe('ssf-deliverer'));
