import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Deadlines of one DynamoDB call. A single DynamoDB request answers in single-digit milliseconds, so
 * anything near a second is an outage; the caller must get its 503 + Retry-After within 5 s, however
 * DynamoDB fails (refusing connections, throttling, or accepting them and never answering).
 */
export const DEADLINES = {
  /** TCP connect. */
  connectionMs: 500,
  /**
   * One HTTP attempt, from send to the last byte; an error, not the SDK's default warning. Generous for
   * a loaded machine running DynamoDB Local (a busy 2-core CI box answers in hundreds of ms at worst).
   */
  requestMs: 1500,
  /** Attempts per call, the first included (the SDK backs off between them). */
  maxAttempts: 2,
  /**
   * The whole call, retries and back-off included. Aborting it stops the SDK from retrying after the
   * caller was answered, so a write answered 503 is not sent again behind the caller's back.
   */
  callMs: 3500,
} as const;

export interface DynamoClientOptions {
  /** DynamoDB Local; static dummy credentials are used with it. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /**
   * With `endpoint`: the access key id DynamoDB Local keeps the data under (the local server's per-run
   * key, tools/local/dynamodb-local.ts); `local` when not given.
   */
  readonly localAccessKeyId?: string | undefined;
}

/**
 * The DynamoDB client the service's store is built from, with hard deadlines on every call. On Lambda
 * region and credentials come from the environment.
 */
export function createDynamoClient(options: DynamoClientOptions = {}): DynamoDBClient {
  const local = options.endpoint !== undefined;
  return new DynamoDBClient({
    ...(local && {
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      // DynamoDB Local accepts any alphanumeric key; never reach for a developer's real credentials. The
      // local server's own DynamoDB Local keeps the data under a per-run key (tools/local/dynamodb-local.ts).
      credentials: {
        accessKeyId: options.localAccessKeyId || 'local',
        secretAccessKey: 'local',
      },
    }),
    ...(!local && options.region !== undefined && { region: options.region }),
    maxAttempts: DEADLINES.maxAttempts,
    requestHandler: {
      connectionTimeout: DEADLINES.connectionMs,
      requestTimeout: DEADLINES.requestMs,
      throwOnRequestTimeout: true,
    },
  });
}
