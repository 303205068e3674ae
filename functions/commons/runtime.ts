/**
 * Per-process singletons for the handlers: configuration (validated once, at module load) and the
 * store, whose DynamoDB client is reused across invocations.
 */
import { readConfig } from './config.ts';
import { systemClock } from './domain/model.ts';
import { DynamoStore } from './store/dynamodb.ts';

export const config = readConfig(process.env);
export const store = new DynamoStore({
  tableName: config.tableName,
  endpoint: config.dynamoDbEndpoint,
  retryAfterSeconds: config.retryAfterSeconds,
});
export const clock = systemClock;
