/**
 * What the composition roots (`functions/<name>/index.ts`) build the table's adapters from: one traced
 * DynamoDB client per function instance, reused across invocations. Nothing here runs at import time:
 * each root calls it once, at its cold start, with the settings it read.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ClientAuthSettings, readTableSettings, type TableSettings } from '#commons/config.ts';
import { AuthThrottle } from '#commons/domain/auth-throttle.ts';
import { ClientCache } from '#commons/domain/client-cache.ts';
import type { Clock, RequestStore } from '#commons/domain/model.ts';
import type { ClientAuthentication } from '#commons/http/client-auth.ts';
import { traceDynamoClient } from '#commons/observability.ts';
import { AdminDynamoStore } from '#commons/store/admin-store.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { RequestDynamoStore } from '#commons/store/request-store.ts';
import { SweepDynamoStore } from '#commons/store/sweep-store.ts';

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

/**
 * The adapters of the tokens, grants and clients on that table, one per caller: a root opens the one its
 * function's port needs, so its bundle carries that adapter only (the build refuses one that carries the
 * composite `DynamoStore`, which the local server and the tests use).
 */
export const openRequestStore = (table: Table): RequestDynamoStore => new RequestDynamoStore(table);
/** The admin routes' adapter (clients, cut-offs, idempotency; minting and revocation through its base). */
export const openAdminStore = (table: Table): AdminDynamoStore => new AdminDynamoStore(table);
/** The sweeper's adapter. */
export const openSweepStore = (table: Table): SweepDynamoStore => new SweepDynamoStore(table);

/**
 * Client authentication state of one function instance (in memory, so per Lambda instance on AWS and
 * shared by every route locally): the client cache, and the throttle of failed authentications.
 */
export function clientAuthentication(
  store: Pick<RequestStore, 'getClient'>,
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
