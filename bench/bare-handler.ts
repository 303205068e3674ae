/**
 * The reference for the cold-start benchmark: the least a DynamoDB-backed Lambda function can be, a
 * DynamoDB client and a Document client created at module scope and one GetItem per invocation. What a
 * route's handler adds at init on top of this is the cost of our own code and middleware.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Reads one item and answers whether it exists. */
export async function handler(event: { key?: string }): Promise<{ statusCode: number }> {
  const { Item } = await doc.send(
    new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: event.key ?? 'none' } }),
  );
  return { statusCode: Item ? 200 : 404 };
}
