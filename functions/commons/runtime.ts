/**
 * Per-process singletons for the handlers: configuration (validated once, at module load) and the
 * store adapters, built from one DynamoDB client that is reused across invocations. Each adapter serves
 * one caller's port (request path, admin routes, sweeper); they are marked pure so that a bundle keeps only
 * the ones its function uses (a function importing `store` does not carry the admin or sweep adapter).
 */
import { readConfig } from './config.ts';
import { AuthThrottle } from './domain/auth-throttle.ts';
import { ClientCache } from './domain/client-cache.ts';
import { systemClock } from './domain/model.ts';
import type { ClientAuthentication } from './http/client-auth.ts';
import { traceDynamoClient } from './observability.ts';
import { AdminDynamoStore } from './store/admin-store.ts';
import { createDynamoClient } from './store/client.ts';
import { RequestDynamoStore } from './store/request-store.ts';
import { SweepDynamoStore } from './store/sweep-store.ts';

export const config = readConfig(process.env);
// Traced before the store wraps it: the document client shares the plain client's middleware stack.
export const dynamoClient = traceDynamoClient(createDynamoClient({ endpoint: config.dynamoDbEndpoint }));
// One options object: a `new` whose arguments read a property is kept even when unused (esbuild).
export const adapterOptions = { client: dynamoClient, tableName: config.tableName };
/** The request path's adapter (token, introspection, revocation, invalidation, the authorizer). */
export const store = /* @__PURE__ */ new RequestDynamoStore(adapterOptions);
/** The admin routes' adapter (clients, cut-offs, idempotency; minting and revocation through its base). */
export const adminStore = /* @__PURE__ */ new AdminDynamoStore(adapterOptions);
/** The sweeper's adapter. */
export const sweepStore = /* @__PURE__ */ new SweepDynamoStore(adapterOptions);
export const clock = systemClock;

// Read here, not in the constructors' arguments, for the reason above.
const clientCacheMs = config.clientCacheSeconds * 1000;
const { authFailureLimit } = config;
const authFailureWindowMs = config.authFailureWindowSeconds * 1000;
/**
 * Client authentication state of this instance (in memory, so per Lambda instance on AWS and shared by
 * every route locally): the client cache, and the throttle of failed authentications.
 */
export const clientAuth: ClientAuthentication = {
  clients: /* @__PURE__ */ new ClientCache({
    read: (clientId) => store.getClient(clientId),
    clock,
    ttlMs: clientCacheMs,
  }),
  throttle: /* @__PURE__ */ new AuthThrottle({
    limit: authFailureLimit,
    windowMs: authFailureWindowMs,
    clock,
  }),
  clock,
};
