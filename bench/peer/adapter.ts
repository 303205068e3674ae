/**
 * A DynamoDB adapter for node-oidc-provider's models, written to its adapter interface
 * (`example/my_adapter.js` in panva/node-oidc-provider), for the peer benchmark only: one table, one item
 * per model instance keyed `<model>:<id>`, the payload as a map, and sparse indexes on `grantId`, `uid`
 * and `userCode` (an item lands in an index only when it has that attribute), with DynamoDB's TTL on
 * `expiresAt`. Reads are consistent, as a revocation must be seen by the next introspection.
 */
import {
  BillingMode,
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Adapter, AdapterPayload } from 'oidc-provider';

const INDEXES = { grantId: 'byGrantId', uid: 'byUid', userCode: 'byUserCode' } as const;

interface StoredItem {
  readonly pk: string;
  readonly payload: AdapterPayload;
  readonly expiresAt?: number;
}

/** Creates the adapter's table unless it exists (on demand, one hash key, three sparse indexes). */
export async function ensurePeerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: BillingMode.PAY_PER_REQUEST,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          ...Object.keys(INDEXES).map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
        ],
        GlobalSecondaryIndexes: Object.entries(INDEXES).map(([attribute, indexName]) => ({
          IndexName: indexName,
          KeySchema: [{ AttributeName: attribute, KeyType: 'HASH' as const }],
          Projection: { ProjectionType: 'KEYS_ONLY' as const },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/**
 * The adapter class node-oidc-provider instantiates once per model name. `bind` fixes the client and
 * the table, since the provider constructs adapters with the model name only.
 */
export function dynamoDbAdapter(client: DynamoDBClient, tableName: string): new (name: string) => Adapter {
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const live = (item: StoredItem | undefined): AdapterPayload | undefined =>
    item && (item.expiresAt === undefined || item.expiresAt > nowSeconds()) ? item.payload : undefined;

  return class DynamoDbAdapter implements Adapter {
    readonly #name: string;

    constructor(name: string) {
      this.#name = name;
    }

    #key(id: string): { pk: string } {
      return { pk: `${this.#name}:${id}` };
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...this.#key(id),
            payload,
            ...(expiresIn !== undefined && { expiresAt: nowSeconds() + expiresIn }),
            // Only the attributes present land the item in their index.
            ...(payload.grantId !== undefined && { grantId: payload.grantId }),
            ...(payload.uid !== undefined && { uid: payload.uid }),
            ...(payload.userCode !== undefined && { userCode: payload.userCode }),
          },
        }),
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: this.#key(id), ConsistentRead: true }),
      );
      return live(Item as StoredItem | undefined);
    }

    async #findBy(attribute: 'uid' | 'userCode', value: string): Promise<AdapterPayload | undefined> {
      const { Items } = await documents.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: INDEXES[attribute],
          KeyConditionExpression: '#a = :v',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':v': value },
          Limit: 1,
        }),
      );
      const pk = (Items?.[0] as { pk?: string } | undefined)?.pk;
      if (pk === undefined) return undefined;
      return this.find(pk.slice(this.#name.length + 1));
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.#findBy('uid', uid);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.#findBy('userCode', userCode);
    }

    async consume(id: string): Promise<void> {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: this.#key(id),
          UpdateExpression: 'SET payload.#consumed = :now',
          ConditionExpression: 'attribute_exists(pk)',
          // A reserved word in DynamoDB expressions.
          ExpressionAttributeNames: { '#consumed': 'consumed' },
          ExpressionAttributeValues: { ':now': nowSeconds() },
        }),
      );
    }

    async destroy(id: string): Promise<void> {
      await documents.send(new DeleteCommand({ TableName: tableName, Key: this.#key(id) }));
    }

    /** Every item of the grant, whatever its model, as node-oidc-provider calls it once per model. */
    async revokeByGrantId(grantId: string): Promise<void> {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: INDEXES.grantId,
            KeyConditionExpression: 'grantId = :g',
            ExpressionAttributeValues: { ':g': grantId },
            ...(start && { ExclusiveStartKey: start }),
          }),
        );
        const keys = (page.Items ?? [])
          .map((item) => (item as { pk: string }).pk)
          .filter((pk) => pk.startsWith(`${this.#name}:`));
        for (let i = 0; i < keys.length; i += 25) {
          await documents.send(
            new BatchWriteCommand({
              RequestItems: {
                [tableName]: keys.slice(i, i + 25).map((pk) => ({ DeleteRequest: { Key: { pk } } })),
              },
            }),
          );
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
  };
}
