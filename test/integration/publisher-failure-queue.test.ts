/**
 * The publisher on AWS when EventBridge does not take an event (issue 18 item 7): the whole event goes to
 * the on-failure queue (not only stream coordinates, which expire with the stream), the stream record
 * succeeds, and the failure line names the bus and the cause. EventBridge and SQS, which have no local
 * stand-in, are HTTP doubles on loopback that the real SDK clients talk to (through the SDK's
 * per-service endpoint variables); the stream record is a real one from DynamoDB Local.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeClientTokens } from '#commons/domain/admin.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { storedClient } from '#test/support/grants.ts';
import { dynamoEndpoint } from '#test/support/helpers.ts';
import { ensureTable, localDynamoClient, localStreamsClient } from '#tools/local/dynamodb-local.ts';
import { lambdaContext } from '#tools/local/server.ts';
import { lambdaRecord, tableStreamArn } from '#tools/local/stream-reader.ts';

const TABLE = `publisher-queue-${randomUUID().slice(0, 8)}`;
const sent: { target: string; body: Record<string, unknown> }[] = [];
const servers: Server[] = [];

/** An HTTP double of an AWS JSON-protocol service: `answer` per request, every request recorded. */
async function double(
  answer: (target: string, body: Record<string, unknown>) => [number, object],
): Promise<string> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      sent.push({ target, body });
      const [status, json] = answer(target, body);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let records: DynamoDBRecord[];

beforeAll(async () => {
  process.env.TABLE_NAME = TABLE;
  process.env.EVENT_BUS_NAME = 'test-bus';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = await double(() => [
    400,
    { __type: 'ThrottlingException', message: 'Rate exceeded' },
  ]);
  process.env.AWS_ENDPOINT_URL_SQS = await double((_target, body) => [
    200,
    {
      MessageId: randomUUID(),
      MD5OfMessageBody: createHash('md5')
        .update(String(body.MessageBody ?? ''))
        .digest('hex'),
    },
  ]);
  // The SQS client sends to the queue URL's host.
  process.env.EVENTS_FAILURE_QUEUE_URL = `${process.env.AWS_ENDPOINT_URL_SQS}/000000000000/failures`;

  await ensureTable(dynamoEndpoint, TABLE);
  const store = new DynamoStore({
    tableName: TABLE,
    client: createDynamoClient({ endpoint: dynamoEndpoint }),
  });
  const client = await storedClient(store, Date.now, 'publisher queue');
  await revokeClientTokens(
    store,
    Date.now,
    { actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/t' } },
    client.clientId,
  );
  const streams = localStreamsClient(dynamoEndpoint);
  const streamArn = await tableStreamArn(localDynamoClient(dynamoEndpoint), TABLE);
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  records = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const page = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
    records.push(...(page.Records ?? []).map((record) => lambdaRecord(record, streamArn)));
  }
  streams.destroy();
});

afterAll(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

describe('the publisher when EventBridge refuses', () => {
  it('keeps the whole event in the on-failure queue, succeeds the record, and logs the bus and the cause', async () => {
    const written: string[] = [];
    // Powertools writes WARN lines through console.warn: stderr.
    const streams = [process.stdout, process.stderr] as const;
    const writes = streams.map((stream) => stream.write);
    for (const stream of streams) {
      stream.write = ((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      }) as typeof stream.write;
    }
    let response: { batchItemFailures?: unknown[] } | undefined;
    // The test workers run with the logger silenced (vitest.config.ts); this test reads its lines.
    const { logger } = await import('#commons/observability.ts');
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    try {
      const { handler } = (await import('../../functions/publisher/index.ts')) as {
        handler: (event: DynamoDBStreamEvent, context: unknown) => Promise<{ batchItemFailures?: unknown[] }>;
      };
      response = await handler({ Records: records }, lambdaContext({ name: 'publisher' }, randomUUID()));
    } finally {
      logger.setLogLevel(level);
      streams.forEach((stream, i) => {
        stream.write = writes[i] as typeof stream.write;
      });
    }

    expect(response?.batchItemFailures ?? []).toEqual([]);
    const putAttempts = sent.filter((s) => s.target === 'AWSEvents.PutEvents');
    expect(putAttempts.length).toBeGreaterThan(0);
    const queued = sent.filter((s) => s.target === 'AmazonSQS.SendMessage');
    expect(queued).toHaveLength(1);
    const message = JSON.parse(String(queued[0]?.body.MessageBody)) as {
      kind: string;
      entry: { Source: string; DetailType: string; Detail: string; EventBusName: string };
    };
    expect(message.kind).toBe('revocation-event');
    expect(message.entry).toMatchObject({
      Source: 'token-revocation',
      DetailType: 'client.tokens_revoked',
      EventBusName: 'test-bus',
    });
    expect(JSON.parse(message.entry.Detail)).toMatchObject({ actor: { type: 'iam' } });
    const failure = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('event delivery failed'))
      .map((line) => JSON.parse(line) as { delivery: Record<string, unknown> });
    expect(failure.map((line) => line.delivery)).toEqual([
      expect.objectContaining({ target: 'event bus test-bus', cause: 'ThrottlingException', next: 'queue' }),
    ]);
  });
});
