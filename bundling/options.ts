/**
 * How the construct bundles a function with esbuild (its `BundlingOptions`), and the esbuild settings
 * behind them: the ESM banner, the aliases that leave out what the bundles never run, the hook that trims
 * the source map. The construct (lib/service-function.ts), the prebuilt handlers and the bundle sizes
 * (bundling/handlers.ts) and the cold-start benchmark all build with these, so they measure what deploys.
 */
import * as path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** esbuild's target: the Node.js of the functions' runtime (`RUNTIME` in lib/service-function.ts). */
export const ESBUILD_TARGET = 'node24';

/**
 * ESM output still meets CommonJS code inside dependencies (e.g. `require('crypto')` in the SDK's
 * transitive packages); esbuild's `__require` shim only works when a real `require` is in scope.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Whether the AWS SDK v3 is bundled into each function or taken from the Lambda runtime. Decided by
 * `bench/cold-start.ts`: the bundled, minified, tree-shaken SDK initialises faster (49 ms vs 85 ms mean
 * module init on the reference run) than resolving and loading the unminified SDK files one by one, at
 * the price of ~330 KiB per bundle, and the deployed code is exactly the SDK version that was tested.
 */
export const BUNDLE_AWS_SDK = true;

/**
 * The SDK's default credential chain, replaced in the bundles by the environment provider alone
 * (`bundling/credential-provider-env.ts`; Lambda always puts the role's credentials in the
 * environment). The key is the exact module the SDK clients' `runtimeConfig` imports
 * `defaultProvider` from; the path is resolved from the project root, esbuild's working directory in
 * local bundling.
 */
export const CREDENTIAL_PROVIDER_ALIAS =
  '@aws-sdk/credential-provider-node=./bundling/credential-provider-env.ts';

/**
 * The X-Ray SDK's entry, replaced by one that loads only the parts the Powertools tracer uses with AWS SDK
 * v3 clients (bundling/xray-sdk-core.ts); this also leaves out `semver`, which only its v2 patcher needs.
 */
export const XRAY_SDK_ALIAS = 'aws-xray-sdk-core=./bundling/xray-sdk-core.ts';

/**
 * Dependencies the bundles load but never run, each replaced by a stub that throws if it ever runs (the
 * reasons are in each stub): the SDK's event-stream codec, DynamoDB's endpoint discovery cache and
 * cls-hooked's event emitter binding.
 */
export const UNUSED_MODULE_ALIASES = [
  '@smithy/core/event-streams=./bundling/event-streams-unused.ts',
  '@aws-sdk/endpoint-cache=./bundling/endpoint-cache-unused.ts',
  'emitter-listener=./bundling/emitter-listener-unused.cjs',
];

/** One word for the bash that runs the bundling hooks, whatever the value holds. */
const shellWord = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * After esbuild: the source map keeps only the project's own sources (bundling/source-map-trim.ts).
 * Node decodes the whole map at load under `--enable-source-maps`; the dependencies' nine tenths cost
 * ~3 ms of every cold start and nobody reads minified SDK frames in TypeScript. Local bundling runs the
 * hooks in the project root, where tsx is installed (the CDK app itself runs on it).
 */
export const AFTER_BUNDLING = (outputDir: string): string[] => [
  `node --import tsx bundling/source-map-trim.ts ${shellWord(path.join(outputDir, 'index.mjs.map'))}`,
];

/**
 * esbuild settings shared by the construct and the cold-start benchmark, so the benchmark measures
 * what is deployed.
 */
export const BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: ESBUILD_TARGET,
  // Prefer packages' ESM builds: smaller after tree shaking than their CommonJS builds.
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  // Stack traces need names and line numbers only; embedding every source file would triple the map.
  sourcesContent: false,
  bundleAwsSDK: BUNDLE_AWS_SDK,
  // Together ~220 KiB less per bundle and a shorter module init (bench/cold-start.ts, docs/BENCHMARKS.md).
  esbuildArgs: { '--alias': [CREDENTIAL_PROVIDER_ALIAS, XRAY_SDK_ALIAS, ...UNUSED_MODULE_ALIASES] },
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => AFTER_BUNDLING(outputDir),
  },
  // Keep `cdk synth --quiet` quiet: esbuild still prints warnings and errors.
  logLevel: nodejs.LogLevel.WARNING,
};
