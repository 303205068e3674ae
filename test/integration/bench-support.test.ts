/**
 * The parts of the peer and cost benchmarks whose mistakes would silently skew their figures: the
 * capacity billing rules applied to DynamoDB Local's report, the recording proxy, the peer's DynamoDB
 * adapter (node-oidc-provider's interface, on the suite's DynamoDB Local), and the doc section splice.
 */
import { randomUUID } from 'node:crypto';
import { PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoEndpoint } from '#test/support/helpers.ts';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';
import { billedCapacity } from '../../bench/cost.ts';
import { dynamoDbAdapter, ensurePeerTable } from '../../bench/peer/adapter.ts';
import { type RecordedCall, startCapacityProxy } from '../../bench/support/capacity-proxy.ts';
import { replaceSection, sectionOf } from '../../bench/support/markdown.ts';

const call = (overrides: Partial<RecordedCall>): RecordedCall => ({
  at: 0,
  operation: 'PutItem',
  status: 200,
  keys: 1,
  consistent: false,
  actions: [],
  consumed: [],
  ...overrides,
});

describe('billed capacity', () => {
  it('bills a transaction twice for its items and once for its index writes', () => {
    const units = billedCapacity([
      call({
        operation: 'TransactWriteItems',
        consumed: [
          {
            CapacityUnits: 6,
            Table: { CapacityUnits: 4 },
            GlobalSecondaryIndexes: { byGrant: { CapacityUnits: 2 } },
          },
        ],
      }),
    ]);
    expect(units).toEqual({ read: 0, write: 10 });
  });

  it('bills every key of a consistent read, found or not, and half a unit for an empty query', () => {
    const units = billedCapacity([
      call({ operation: 'BatchGetItem', keys: 4, consistent: true, consumed: [{ CapacityUnits: 3 }] }),
      call({ operation: 'Query', consumed: [{ CapacityUnits: 0 }] }),
      call({ operation: 'PutItem', consumed: [{ CapacityUnits: 2 }] }),
    ]);
    expect(units).toEqual({ read: 4.5, write: 2 });
  });
});

describe('capacity proxy', () => {
  it('records what DynamoDB Local reports for each call, indexes included, and passes the answer on', async () => {
    const proxy = await startCapacityProxy(dynamoEndpoint);
    const client = localDynamoClient(proxy.endpoint);
    const tableName = `bench-proxy-${randomUUID().slice(0, 8)}`;
    try {
      await ensurePeerTable(localDynamoClient(dynamoEndpoint), tableName);
      await client.send(
        new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'a' }, grantId: { S: 'g' } } }),
      );
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: { pk: { S: 'b' } } } },
            {
              ConditionCheck: {
                TableName: tableName,
                Key: { pk: { S: 'a' } },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      );
      const [put, transaction] = proxy.calls;
      expect(put?.operation).toBe('PutItem');
      expect(put?.consumed[0]?.GlobalSecondaryIndexes?.byGrantId?.CapacityUnits).toBe(1);
      expect(billedCapacity([put as RecordedCall])).toEqual({ read: 0, write: 2 });
      expect(transaction?.actions).toEqual(['Put', 'ConditionCheck']);
      expect(billedCapacity([transaction as RecordedCall])).toEqual({ read: 0, write: 4 });
    } finally {
      client.destroy();
      await proxy.close();
    }
  });
});

describe("the peer's DynamoDB adapter", () => {
  it('finds, consumes, expires, destroys and revokes by grant as node-oidc-provider expects', async () => {
    const client = localDynamoClient(dynamoEndpoint);
    const tableName = `bench-peer-${randomUUID().slice(0, 8)}`;
    await ensurePeerTable(client, tableName);
    const Adapter = dynamoDbAdapter(client, tableName);
    const tokens = new Adapter('AccessToken');
    const grants = new Adapter('Grant');
    await tokens.upsert('t1', { jti: 't1', grantId: 'g1', kind: 'AccessToken' }, 60);
    await tokens.upsert('t2', { jti: 't2', grantId: 'g1', kind: 'AccessToken' }, 60);
    await tokens.upsert('old', { jti: 'old', kind: 'AccessToken' }, -1);
    await grants.upsert('g1', { jti: 'g1', kind: 'Grant' }, 60);
    expect(await tokens.find('t1')).toMatchObject({ jti: 't1', grantId: 'g1' });
    // Another model's adapter does not see the token, and an expired one is gone.
    expect(await grants.find('t1')).toBeUndefined();
    expect(await tokens.find('old')).toBeUndefined();
    await tokens.consume('t2');
    expect((await tokens.find('t2'))?.consumed).toEqual(expect.any(Number));
    await tokens.revokeByGrantId('g1');
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await tokens.find('t2')).toBeUndefined();
    // Revoking the grant's tokens leaves the grant itself to its own model.
    expect(await grants.find('g1')).toMatchObject({ jti: 'g1' });
    await grants.destroy('g1');
    expect(await grants.find('g1')).toBeUndefined();
    client.destroy();
  });
});

describe('benchmark doc sections', () => {
  const doc = '# Benchmarks\n\nintro\n\n## A\n\nold a\n\n## B\n\nb\n';

  it('replaces a section in place and keeps the others', () => {
    const next = replaceSection(doc, '## A', '## A (new)\n\nnew a\n');
    expect(next).toBe('# Benchmarks\n\nintro\n\n## A (new)\n\nnew a\n\n## B\n\nb\n');
    expect(sectionOf(next, '## B')).toBe('## B\n\nb\n');
  });

  it('appends a section the document does not have', () => {
    expect(replaceSection(doc, '## C', '## C\n\nc')).toBe(`${doc}\n## C\n\nc\n`);
    expect(sectionOf(doc, '## C')).toBeUndefined();
  });
});
