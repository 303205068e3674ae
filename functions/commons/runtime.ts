/**
 * Per-process singletons for the handlers: configuration (validated once, at module load) and the
 * store, built from one DynamoDB client that is reused across invocations.
 */
import { readConfig } from './config.ts';
import { systemClock } from './domain/model.ts';
import { createDynamoClient } from './store/client.ts';
import { DynamoStore } from './store/dynamodb.ts';

export const config = readConfig(process.env);
export const dynamoClient = createDynamoClient({ endpoint: config.dynamoDbEndpoint });
export const store = new DynamoStore({ client: dynamoClient, tableName: config.tableName });
export const clock = systemClock;
