import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { GRANT_INDEX } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { tokenToItem } from '#commons/store/items.ts';
import { issueGrant, storedClient, tokenRecord } from '#test/support/grants.ts';
import { dynamoEndpoint, recordSecrets } from '#test/support/helpers.ts';
import { type StreamTable, streamEvent, streamTable } from '#test/support/table-stream.ts';

type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/** Tokens in the swept grant, and how long DynamoDB is away in the middle of the sweep. */
const TOKENS = 1500;
const OUTAGE_MS = 10_000;

/**
 * A TCP relay to DynamoDB Local that can be taken down (every open connection cut, new ones refused)
 * and brought back on the same port: DynamoDB killed and restarted, as the sweeper sees it.
 */
async function outageRelay(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((socket) => {
    if (down) return socket.destroy();
    const upstream = connect(Number(port), hostname);
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const drop = () => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    for (const end of [socket, upstream]) {
      end.on('error', drop);
      end.on('close', drop);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    takeDown() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    bringUp() {
      down = false;
    },
    close: () => server.close(),
  };
}

let table: StreamTable;
const clock = () => Date.now();
const saved = { TABLE_NAME: process.env.TABLE_NAME, DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT };

beforeAll(async () => {
  table = await streamTable('sweeper-outage');
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await table?.drop();
});

describe('a sweep outlasts a DynamoDB outage', () => {
  it(`deletes every token of a revoked grant although DynamoDB is away for ${OUTAGE_MS / 1000} s mid-sweep`, async () => {
    const relay = await outageRelay(dynamoEndpoint);
    try {
      const client = await storedClient(table.store, clock, 'outage test');
      const grant = await issueGrant(table.store, clock, client);
      recordSecrets({ access_token: grant.accessRaw, refresh_token: grant.refreshRaw });
      const extra = Array.from({ length: TOKENS }, () =>
        tokenRecord(client, clock, 'access', { grantId: grant.grantId }),
      );
      // Written straight to the table, 25 to a BatchWriteItem: fixtures, not the service's deadline-bound
      // path, so a loaded machine slows the setup down instead of failing it.
      const fixtures = DynamoDBDocumentClient.from(createDynamoClient({ endpoint: dynamoEndpoint }));
      for (let i = 0; i < extra.length; i += 25) {
        const puts = extra.slice(i, i + 25).map((token) => ({ PutRequest: { Item: tokenToItem(token) } }));
        await fixtures.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: puts } }));
      }
      const records = await table.recordsOf(() => revokeForClient(table.store, clock, client, grant.refresh));
      expect(records).toHaveLength(1);

      // The sweeper as Lambda loads it, talking to DynamoDB through the relay.
      process.env.TABLE_NAME = table.tableName;
      process.env.DYNAMODB_ENDPOINT = relay.url;
      vi.resetModules();
      const { handler } = (await import('../../functions/sweeper/index.ts')) as { handler: StreamHandler };
      const deadline = Date.now() + 120_000;
      const context = {
        functionName: 'sweeper',
        awsRequestId: randomUUID(),
        getRemainingTimeInMillis: () => deadline - Date.now(),
      } as Context;

      const invoked = handler(streamEvent(records), context);
      await new Promise((resolve) => setTimeout(resolve, 150));
      relay.takeDown();
      const downAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      relay.bringUp();
      const response = await invoked;

      expect(response).toEqual({ batchItemFailures: [] });
      // It really waited out the outage, and nothing of the grant is left in its index.
      expect(Date.now() - downAt).toBeGreaterThanOrEqual(OUTAGE_MS);
      const doc = DynamoDBDocumentClient.from(createDynamoClient({ endpoint: dynamoEndpoint }));
      const left = await doc.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: GRANT_INDEX.indexName,
          KeyConditionExpression: '#g = :g',
          ExpressionAttributeNames: { '#g': GRANT_INDEX.partitionKey },
          ExpressionAttributeValues: { ':g': grant.grantId },
        }),
      );
      expect(left.Count).toBe(0);
    } finally {
      relay.close();
    }
  }, 90_000);
});
