/**
 * [v3] Per-process singletons of trusted issuers, beside `runtime.ts`'s: the adapter of their items (the
 * same DynamoDB client). The verifier (keys, issuer cache) is `verifier.ts`, so the admin functions that
 * never verify a token do not carry jose.
 */
import { adapterOptions } from '../runtime.ts';
import { DynamoTrustStore } from '../store/trusted.ts';
import { TrustedTokenDynamoStore } from '../store/trusted-token-store.ts';

/**
 * Whether this process is the local server (or a test) rather than Lambda, where plain http to a
 * loopback host would reach the Lambda runtime's own API: the contract allows such JWK Set URLs locally only.
 */
export const runsLocally = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.AWS_LAMBDA_FUNCTION_NAME === undefined;

/** The issuer registry and the admin routes' writes (pure: a bundle without them keeps none of it). */
export const trustStore = /* @__PURE__ */ new DynamoTrustStore(adapterOptions);
/** What the routes that take a trusted token read and write (verifier.ts). */
export const trustedTokenStore = /* @__PURE__ */ new TrustedTokenDynamoStore(adapterOptions);
