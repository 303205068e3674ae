/**
 * Per-process singletons for the handlers: configuration (validated once, at module load) and the
 * store, built from one DynamoDB client that is reused across invocations.
 */
import { readConfig } from './config.ts';
import { AuthThrottle } from './domain/auth-throttle.ts';
import { ClientCache } from './domain/client-cache.ts';
import { systemClock } from './domain/model.ts';
import type { ClientAuthentication } from './http/client-auth.ts';
import { traceDynamoClient } from './observability.ts';
import { createDynamoClient } from './store/client.ts';
import { DynamoStore } from './store/dynamodb.ts';

export const config = readConfig(process.env);
// Traced before the store wraps it: the document client shares the plain client's middleware stack.
export const dynamoClient = traceDynamoClient(createDynamoClient({ endpoint: config.dynamoDbEndpoint }));
export const store = new DynamoStore({ client: dynamoClient, tableName: config.tableName });
export const clock = systemClock;

/**
 * Client authentication state of this instance (in memory, so per Lambda instance on AWS and shared by
 * every route locally): the client cache, and the throttle of failed authentications.
 */
export const clientAuth: ClientAuthentication = {
  clients: new ClientCache({
    read: (clientId) => store.getClient(clientId),
    clock,
    ttlMs: config.clientCacheSeconds * 1000,
  }),
  throttle: new AuthThrottle({
    limit: config.authFailureLimit,
    windowMs: config.authFailureWindowSeconds * 1000,
    clock,
  }),
  clock,
};
