/**
 * What the composition roots (`functions/<name>/index.ts`) build the table's adapters from: one traced
 * DynamoDB client per function instance, reused across invocations. Nothing here runs at import time:
 * each root calls it once, at its cold start, with the settings it read.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ClientAuthSettings, readTableSettings, type TableSettings } from '#commons/config.ts';
import { AuthThrottle } from '#commons/domain/auth-throttle.ts';
import { ClientCache } from '#commons/domain/client-cache.ts';
import type { Clock, Store } from '#commons/domain/model.ts';
import type { ClientAuthentication } from '#commons/http/client-auth.ts';
import { traceDynamoClient } from '#commons/observability.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';

/** The table a function reaches: its client (traced) and its name, for the adapters built on it. */
export interface Table {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** The table of these settings, on a new traced client (one per function instance). */
export function openTable(settings: TableSettings, localAccessKeyId?: string): Table {
  // Traced before any adapter wraps it: the document clients share the plain client's middleware stack.
  const client = traceDynamoClient(
    createDynamoClient({ endpoint: settings.dynamoDbEndpoint, localAccessKeyId }),
  );
  return { client, tableName: settings.tableName };
}

/** A Lambda root's table: the settings of its environment (`TABLE_NAME`, `DYNAMODB_ENDPOINT`). */
export const tableFromEnv = (env: NodeJS.ProcessEnv): Table => openTable(readTableSettings(env));

/** The store of the tokens and clients on that table. */
export const openTokenStore = (table: Table): DynamoStore =>
  new DynamoStore({ client: table.client, tableName: table.tableName });

/**
 * Client authentication state of one function instance (in memory, so per Lambda instance on AWS and
 * shared by every route locally): the client cache, and the throttle of failed authentications.
 */
export function clientAuthentication(
  store: Store,
  clock: Clock,
  settings: ClientAuthSettings,
): ClientAuthentication {
  return {
    clients: new ClientCache({
      read: (clientId) => store.getClient(clientId),
      clock,
      ttlMs: settings.clientCacheSeconds * 1000,
    }),
    throttle: new AuthThrottle({
      limit: settings.authFailureLimit,
      windowMs: settings.authFailureWindowSeconds * 1000,
      clock,
    }),
    clock,
  };
}
