/**
 * Per-process singletons for the handlers: configuration (validated once, at module load) and the
 * store, built from one DynamoDB client that is reused across invocations.
 */
import { readConfig } from './config.ts';
import { systemClock } from './domain/model.ts';
import { traceDynamoClient } from './observability.ts';
import { createDynamoClient } from './store/client.ts';
import { DynamoStore } from './store/dynamodb.ts';

export const config = readConfig(process.env);
// Traced before the store wraps it: the document client shares the plain client's middleware stack.
export const dynamoClient = traceDynamoClient(createDynamoClient({ endpoint: config.dynamoDbEndpoint }));
export const store = new DynamoStore({ client: dynamoClient, tableName: config.tableName });
export const clock = systemClock;
