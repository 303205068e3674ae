import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Dependencies } from '#commons/dependencies.ts';
import { logger, observe } from '#commons/observability.ts';
import { createTransmitter, handleMessage } from '#commons/ssf/transmitter.ts';

/** What the deliverer is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'ssfStore' | 'ssfQueue' | 'setSigner' | 'setIssuer'>;

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
export function createHandler({ ssfStore, ssfQueue, setSigner, setIssuer }: Deps) {
  const transmitter = createTransmitter({
    store: ssfStore,
    signer: setSigner,
    queue: ssfQueue,
    issuer: setIssuer,
  });
  const processor = new BatchProcessor(EventType.SQS);
  return middy(async (event: SQSEvent, context: Context) => {
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
}
