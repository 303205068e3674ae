import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { createTableInput, INDEXES, PARTITION_KEY, TTL_ATTRIBUTE } from '#commons/schema.ts';
import { resourcesOfType, synthesize } from './support.ts';

function onlyTable(props: Parameters<typeof synthesize>[0] = {}, context: Record<string, unknown> = {}) {
  const tables = Object.values(resourcesOfType(synthesize(props, context).template, 'AWS::DynamoDB::Table'));
  expect(tables).toHaveLength(1);
  const [table] = tables;
  if (!table) throw new Error('no table');
  return table;
}

describe('DynamoDB table', () => {
  const table = onlyTable();

  it('has the schema module partition key and no sort key', () => {
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }]);
  });

  it('has exactly the schema module GSIs, keyed and projected as there (keys, plus issuedAt for cut-offs; the registry keys only)', () => {
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      INDEXES.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' }] : []),
        ],
        Projection:
          index.projected.length === 0
            ? { ProjectionType: 'KEYS_ONLY' }
            : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projected] },
      })),
    );
    expect(INDEXES.map((index) => index.indexName).sort()).toEqual([
      'byClient',
      'byGrant',
      'byRegistry',
      'bySubject',
    ]);
    expect(table.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        [PARTITION_KEY, ...INDEXES.flatMap((i) => [i.partitionKey, ...(i.sortKey ? [i.sortKey] : [])])].map(
          (name) => ({
            AttributeName: name,
            AttributeType: 'S',
          }),
        ),
      ),
    );
  });

  it('has a stream with new and old images, as the schema module gives DynamoDB Local', () => {
    expect(createTableInput('any').StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('bills on demand', () => {
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.ProvisionedThroughput).toBeUndefined();
  });

  it(`expires items on the schema TTL attribute ${TTL_ATTRIBUTE}`, () => {
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
  });

  it('keeps point-in-time recovery on', () => {
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('is protected from deletion and retained when it leaves the stack', () => {
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('is encrypted with the AWS managed key by default', () => {
    // SSEEnabled with no key id is the AWS managed key aws/dynamodb; no SSESpecification at all would be
    // the AWS owned key, which shows up in neither the account's KMS console nor CloudTrail.
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('can be relaxed for a development stack: destroyed with it, without deletion protection', () => {
    const dev = onlyTable({ service: { removalPolicy: RemovalPolicy.DESTROY } });
    expect(dev.DeletionPolicy).toBe('Delete');
    expect(dev.Properties.DeletionProtectionEnabled).toBe(false);
  });

  it('takes the relaxation from `-c removalPolicy=destroy` too', () => {
    const dev = onlyTable({}, { removalPolicy: 'destroy' });
    expect(dev.DeletionPolicy).toBe('Delete');
  });

  it('keeps deletion protection when asked, even on a destroyable stack', () => {
    const dev = onlyTable({ service: { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: true } });
    expect(dev.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('refuses a removal policy context value it does not know', () => {
    expect(() => synthesize({}, { removalPolicy: 'snapshot' })).toThrow(/removalPolicy/);
  });
});
