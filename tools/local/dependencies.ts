/**
 * The local server's composition root: one configuration, one DynamoDB client and one set of
 * dependencies (store, clock, client authentication, trusted issuers, SSF, subject keys, event targets)
 * for every function it serves, passed to each function's handler factory (tools/local/factories.ts).
 * Built in place of the functions' own roots, which read a Lambda environment: nothing here is written
 * to `process.env`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { RouteScopes } from '#commons/authorizer/route-scopes.ts';
import type { Config } from '#commons/config.ts';
import type { Dependencies, EventDelivery } from '#commons/dependencies.ts';
import { systemClock } from '#commons/domain/model.ts';
import type { SsfQueue } from '#commons/domain/ssf-delivery.ts';
import type { EventSink } from '#commons/event-delivery/sinks.ts';
import type { JwkSet } from '#commons/ssf/keys.ts';
import { localJwks, localSigner } from '#commons/ssf/keys.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import type { SsfDynamoStore } from '#commons/store/ssf.ts';
import { subjectKeySource } from '#commons/subject-key.ts';
import { eventTarget } from '#wiring/events.ts';
import { openSsfStore } from '#wiring/ssf.ts';
import { clientAuthentication, openTable, type Table } from '#wiring/table.ts';
import { openTrustStore, trustedTokens } from '#wiring/trusted.ts';

/** Called with each DynamoDB client the local server builds for its functions (see `onFunctionsClient`). */
type ClientObserver = (client: DynamoDBClient) => void;
const observers: ClientObserver[] = [];

/**
 * Has `observer` called with the DynamoDB client the local server's functions share, when it is built.
 * For a module preloaded into the server (`node --import`): the suite records each function's DynamoDB
 * commands this way (test/support/record-dynamodb.ts).
 */
export function onFunctionsClient(observer: ClientObserver): void {
  observers.push(observer);
}

/** The table every local function uses: one client, seen by the observers before any function sends. */
export function openLocalTable(
  config: Pick<Config, 'tableName' | 'dynamoDbEndpoint'>,
  accessKeyId?: string,
): Table {
  const table = openTable(config, accessKeyId);
  for (const observe of observers) observe(table.client);
  return table;
}

export interface LocalDependencyOptions {
  /** Every setting, as the local server read it (the table and endpoint its own). */
  readonly config: Config;
  /** The table (`openLocalTable`). */
  readonly table: Table;
  /** The SSF store on it (the local transmitter shares it). */
  readonly ssfStore: SsfDynamoStore;
  /** The file of the subject key secret (in the data directory). */
  readonly subjectKeyFile: string;
  /** The directory of the SSF signing key (in the data directory). */
  readonly ssfKeyDir: string;
  /** The local SSF transmitter's queue, and its issuer (known once the server listens). */
  readonly ssfQueue: SsfQueue;
  readonly setIssuer: () => string;
  /** Where events wait for the webhook. */
  readonly outboxDir: string;
  /** Sinks handed every event first (the local SSF transmitter's outbox). */
  readonly eventSinks: readonly EventSink[];
  /** The demo authorizer's rules. */
  readonly routeScopes: RouteScopes;
}

/**
 * The tokens, grants and clients on that table through one adapter of every port: the local server (and
 * the tests and benches that build functions the same way) runs every function in one process, where the
 * per-caller adapters the Lambda roots open would only be three objects on one client.
 */
export const openTokenStore = (table: Table): DynamoStore => new DynamoStore(table);

/** One set of dependencies for every function the local server runs. */
export function localDependencies(options: LocalDependencyOptions): Dependencies {
  const { config, table } = options;
  const clock = systemClock;
  const store = openTokenStore(table);
  const trustStore = openTrustStore(table);
  const events: EventDelivery = {
    deliver: eventTarget(config),
    keep: undefined,
    outboxDir: options.outboxDir,
    sinks: options.eventSinks,
    onBus: config.eventBusName !== undefined,
  };
  const ssfKeys = (): Promise<JwkSet> => localJwks(options.ssfKeyDir);
  return {
    http: { retryAfterSeconds: config.retryAfterSeconds, adminPrincipals: config.adminPrincipals },
    store,
    adminStore: store,
    sweepStore: store,
    clock,
    clientAuth: clientAuthentication(store, clock, config),
    trusted: trustedTokens({ store: trustStore, clock, allowLoopbackHttp: true }),
    trustStore,
    ssfStore: options.ssfStore,
    ssfQueue: options.ssfQueue,
    issuer: config.issuer,
    subjectKeys: subjectKeySource({
      secretArn: undefined,
      file: options.subjectKeyFile,
      region: undefined,
      credentials: fromEnv(),
    }),
    runsLocally: true,
    ssfKeys,
    setSigner: localSigner(options.ssfKeyDir),
    setIssuer: options.setIssuer,
    routeScopes: options.routeScopes,
    events,
  };
}

export { openSsfStore };
