/**
 * [v3] Per-process singletons of trusted issuers, beside `runtime.ts`'s: the adapter of their items (the
 * same DynamoDB client). The verifier (keys, issuer cache) is `verifier.ts`, so the admin functions that
 * never verify a token do not carry jose.
 */
import { config, dynamoClient } from '../runtime.ts';
import { DynamoTrustStore } from '../store/trusted.ts';

/**
 * Whether this process is the local server (or a test) rather than Lambda, where plain http to a
 * loopback host would reach the Lambda runtime's own API: the contract allows such JWK Set URLs locally only.
 */
export const runsLocally = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.AWS_LAMBDA_FUNCTION_NAME === undefined;

export const trustStore = new DynamoTrustStore({ client: dynamoClient, tableName: config.tableName });
