/**
 * Configuration, read and validated once at module load. A missing or malformed variable fails the
 * cold start loudly instead of running with a silent default.
 */

export interface Config {
  /** DynamoDB table holding tokens and clients. */
  readonly tableName: string;
  /** Endpoint override (DynamoDB Local); undefined on AWS. */
  readonly dynamoDbEndpoint: string | undefined;
  /** Seconds a caller is told to wait after DynamoDB was unavailable or throttling. */
  readonly retryAfterSeconds: number;
}

/** Environment variable names, shared with the CDK stack and the local server. */
export const ENV = {
  tableName: 'TABLE_NAME',
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
  retryAfterSeconds: 'RETRY_AFTER_SECONDS',
} as const;

/** Parses configuration from an environment; throws naming the first bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const tableName = env[ENV.tableName];
  if (!tableName) throw new Error(`${ENV.tableName} must be set to the DynamoDB table name`);
  const endpoint = env[ENV.dynamoDbEndpoint] || undefined;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw new Error(`${ENV.dynamoDbEndpoint} must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  const retryAfterRaw = env[ENV.retryAfterSeconds];
  const retryAfterSeconds = retryAfterRaw === undefined ? 1 : Number(retryAfterRaw);
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 1) {
    throw new Error(`${ENV.retryAfterSeconds} must be a positive integer`);
  }
  return { tableName, dynamoDbEndpoint: endpoint, retryAfterSeconds };
}
