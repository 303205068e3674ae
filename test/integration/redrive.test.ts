/**
 * `revocation-admin events redrive` (tools/cli/redrive.ts): what the on-failure queue holds goes back into
 * the service. The stream side is real (DynamoDB Local's stream of a table of its own, the real sweeper
 * handler); SQS, EventBridge and Lambda's Invoke, which have no local stand-in, are small in-process
 * doubles that keep what they were sent.
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeClientTokens } from '#commons/domain/admin.ts';
import { revocationEvent } from '#commons/domain/events.ts';
import type { Client } from '#commons/domain/model.ts';
import { putEventsEntry } from '#commons/event-delivery/eventbridge.ts';
import type { KeptEventMessage } from '#commons/event-delivery/sinks.ts';
import { CLIENT_INDEX } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { storedClient, tokenRecord } from '#test/support/grants.ts';
import { dynamoEndpoint } from '#test/support/helpers.ts';
import { redrive } from '#tools/cli/redrive.ts';
import { ensureTable, localDynamoClient, localStreamsClient } from '#tools/local/dynamodb-local.ts';
import { lambdaContext } from '#tools/local/server.ts';
import { tableStreamArn } from '#tools/local/stream-reader.ts';

const TABLE = `redrive-${randomUUID().slice(0, 8)}`;
const clock = () => Date.now();
const streams = localStreamsClient(dynamoEndpoint);
let store: DynamoStore;
let client: Client;

beforeAll(async () => {
  await ensureTable(dynamoEndpoint, TABLE);
  process.env.TABLE_NAME = TABLE;
  process.env.DYNAMODB_ENDPOINT = dynamoEndpoint;
  store = new DynamoStore({ tableName: TABLE, client: createDynamoClient({ endpoint: dynamoEndpoint }) });
  client = await storedClient(store, clock, 'redrive');
});

afterAll(() => streams.destroy());

/** An SQS queue double: receive hands out each message once, delete removes it. */
function queue(bodies: unknown[]) {
  const messages = bodies.map((body, i) => ({
    MessageId: `m${i}`,
    ReceiptHandle: `r${i}`,
    Body: JSON.stringify(body),
  }));
  let handedOut = 0;
  return {
    messages,
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (command.constructor.name === 'ReceiveMessageCommand') {
        const batch = messages.slice(handedOut, handedOut + 10);
        handedOut += batch.length;
        return { Messages: batch };
      }
      const at = messages.findIndex((m) => m.ReceiptHandle === command.input.ReceiptHandle);
      if (at >= 0) messages.splice(at, 1);
      handedOut = Math.max(0, handedOut - 1);
      return {};
    },
  };
}

/** The stream record of the client's cut-off, as Lambda's on-failure record names it. */
async function cutOffCoordinates() {
  const streamArn = await tableStreamArn(localDynamoClient(dynamoEndpoint), TABLE);
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of StreamDescription?.Shards ?? []) {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records = [] } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
    const cutOff = Records.find(
      (r) => r.eventName === 'MODIFY' && r.dynamodb?.NewImage?.tokensRevokedBefore !== undefined,
    );
    const sequence = cutOff?.dynamodb?.SequenceNumber;
    if (sequence && shard.ShardId)
      return {
        shardId: shard.ShardId,
        startSequenceNumber: sequence,
        endSequenceNumber: sequence,
        streamArn,
      };
  }
  throw new Error('no cut-off record in the stream');
}

describe('events redrive', () => {
  it('puts kept events back on their bus and replays a failed sweep batch from the stream, then empties the queue', async () => {
    for (let i = 0; i < 60; i++)
      expect(await store.putAccessToken(tokenRecord(client, clock, 'access'))).toBe(true);
    const revoker = { actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/redrive' } } as const;
    const event = await revokeClientTokens(store, clock, revoker, client.clientId);
    if (!event) throw new Error('no cut-off');
    // What the publisher keeps when EventBridge refuses, and what Lambda sends when the sweeper gave up.
    const kept: KeptEventMessage = {
      kind: 'revocation-event',
      entry: {
        ...putEventsEntry(revocationEvent('client.deleted', 'x', { ...revoker, at: Date.now() }, {})),
        EventBusName: 'bus',
      },
    };
    const failure = {
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sweeper',
        condition: 'RetryAttemptsExhausted',
      },
      DDBStreamBatchInfo: await cutOffCoordinates(),
    };
    const sqs = queue([kept, failure, { unrelated: true }]);
    const put: unknown[] = [];
    const { handler } = (await import('../../functions/sweeper/index.ts')) as {
      handler: (
        event: DynamoDBStreamEvent,
        context: unknown,
      ) => Promise<{ batchItemFailures?: unknown[] } | undefined>;
    };
    const invoked: string[] = [];

    const outcome = await redrive(
      {
        sqs: sqs as never,
        streams,
        eventBridge: {
          send: (async (command: { input: { Entries: unknown[] } }) => {
            put.push(...command.input.Entries);
            return { FailedEntryCount: 0 };
          }) as never,
        },
        lambda: {
          send: (async (command: { input: { FunctionName: string; Payload: Uint8Array } }) => {
            invoked.push(command.input.FunctionName);
            const payload = JSON.parse(
              new TextDecoder().decode(command.input.Payload),
            ) as DynamoDBStreamEvent;
            const response = await handler(payload, lambdaContext({ name: 'sweeper' }, randomUUID()));
            return { Payload: new TextEncoder().encode(JSON.stringify(response ?? null)) };
          }) as never,
        },
      },
      'https://sqs.us-east-1.amazonaws.com/000000000000/failures',
    );

    expect(outcome.republished).toBe(1);
    expect(outcome.replayed).toBe(1);
    expect(outcome.failed).toHaveLength(1);
    expect(outcome.failed[0]).toContain('neither a kept event nor a stream batch failure record');
    expect(put).toEqual([kept.entry]);
    expect(invoked).toEqual([failure.requestContext.functionArn]);
    // Only the message it could not redrive is left.
    expect(sqs.messages.map((m) => JSON.parse(m.Body))).toEqual([{ unrelated: true }]);
    // The replayed sweep removed the client's tokens.
    const { Count } = await localDynamoClient(dynamoEndpoint).send(
      new (await import('@aws-sdk/client-dynamodb')).QueryCommand({
        TableName: TABLE,
        IndexName: CLIENT_INDEX.indexName,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': CLIENT_INDEX.partitionKey },
        ExpressionAttributeValues: { ':v': { S: client.clientId } },
        Select: 'COUNT',
      }),
    );
    expect(Count).toBe(0);
  });
});
