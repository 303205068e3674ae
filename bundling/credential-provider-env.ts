/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (esbuild alias in
 * `BUNDLING`, bundling/options.ts). Lambda always hands a function its role's credentials in the
 * environment, so the SDK's default chain (SSO, ini files, process, web identity, container and
 * instance metadata, with their nested STS/SSO clients) is dead weight at cold start: only its first
 * link, the environment, is ever used there. Never used outside the bundles: the local tools keep the
 * full chain.
 */
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/** The SDK clients' `credentialDefaultProvider`: credentials from `AWS_ACCESS_KEY_ID` and friends. */
export const defaultProvider = (init?: FromEnvInit) => fromEnv(init);
