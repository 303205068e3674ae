/**
 * The stream consumers' edge, as http/handler.ts is the routes': a DynamoDB stream batch in, each record
 * read back into the revocation it records (store/changes.ts), Powertools Batch reporting the records that
 * failed so Lambda retries from the first of them (partial batch responses), Powertools observability.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { RevocationEvent } from '../domain/events.ts';
import { logger, observe } from '../observability.ts';
import { type ItemChange, resweepOf, revocationOf } from '../store/changes.ts';

/** A stream record's change, its images unmarshalled as the store's items are. */
export function changeOf(record: DynamoDBRecord): ItemChange {
  const image = (value: Record<string, unknown> | undefined) =>
    value && unmarshall(value as Record<string, AttributeValue>);
  return {
    eventName: record.eventName ?? 'MODIFY',
    oldImage: image(record.dynamodb?.OldImage),
    newImage: image(record.dynamodb?.NewImage),
  };
}

export interface StreamHandlerOptions {
  /**
   * Records processed one after the other, in stream order (the publisher: events of one item in order),
   * or all at once (the sweeper: sweeps are independent).
   */
  readonly inOrder: boolean;
  /** Also hand over the re-sweeps of revoked grants revoked again (the sweeper; never the publisher). */
  readonly resweeps?: boolean;
}

/**
 * A stream consumer: `onRevocation` runs for each record that records a revocation; other records (the
 * filters let a few through) are skipped. A record whose handling throws is reported failed; Lambda
 * retries it (bisecting the batch, a bounded number of times) and then hands it to the on-failure queue.
 */
export function streamHandler(
  name: string,
  options: StreamHandlerOptions,
  onRevocation: (event: RevocationEvent, context: Context) => Promise<void>,
) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return middy(async (event: DynamoDBStreamEvent, context: Context) => {
    const handleRecord = async (record: DynamoDBRecord) => {
      const change = changeOf(record);
      const revocation = revocationOf(change) ?? (options.resweeps ? resweepOf(change) : undefined);
      if (revocation) await onRevocation(revocation, context);
    };
    const response = await processPartialResponse(event, handleRecord, processor, {
      context,
      processInParallel: !options.inOrder,
      // A batch whose every record failed is reported like a partial one: retried from its first record.
      throwOnFullBatchFailure: false,
    });
    if (response.batchItemFailures.length > 0) {
      logger.warn('stream records failed', {
        failed: response.batchItemFailures.length,
        records: event.Records.length,
      });
    }
    return response;
  }).use(observe(name));
}
