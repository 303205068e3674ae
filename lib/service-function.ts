import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Repository root: entries, package-lock.json and tsconfig.json are resolved from here, not from cwd. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `functions/<handler>/index.ts`, the Lambda entry of a route. */
export function handlerEntry(handler: string): string {
  return path.join(PROJECT_ROOT, 'functions', handler, 'index.ts');
}

/**
 * The folder of a handler prebuilt into the npm package (`dist/handlers/<handler>/index.mjs`, written by
 * `npm run build`), or undefined where there is none. It is looked up beside the compiled constructs
 * (`dist/lib/` -> `dist/handlers/`), so only the installed package finds one: run from this repository's
 * TypeScript sources, `lib/` has no `handlers/` sibling and the construct bundles from source, never from
 * a stale build.
 */
export function prebuiltHandlerDir(handler: string): string | undefined {
  const dir = fileURLToPath(new URL(`../handlers/${handler}/`, import.meta.url));
  return fs.existsSync(path.join(dir, 'index.mjs')) ? dir : undefined;
}

/** The newest Node.js runtime aws-cdk-lib offers; esbuild targets the same version. */
export const RUNTIME = lambda.Runtime.NODEJS_24_X;
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

/** Memory: CPU scales with it, and 512 MB keeps a cold start short while warm requests stay I/O bound. */
export const DEFAULT_MEMORY_MB = 512;

/**
 * Timeout: longer than one DynamoDB call's worst case in the store (3 attempts x 3 s request timeout plus
 * back-off, ~10 s) so the handler itself answers 503 with Retry-After, and well inside the HTTP API's
 * 30 s integration limit.
 */
export const DEFAULT_TIMEOUT = Duration.seconds(15);

/** Service name and metrics namespace, as `functions/commons/observability.ts` also sets them in code. */
export const POWERTOOLS_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: 'token-revocation',
  POWERTOOLS_METRICS_NAMESPACE: 'TokenRevocation',
};

export interface ServiceFunctionProps {
  /** Folder under `functions/` holding the handler's `index.ts`. */
  readonly handler: string;
  /** Environment variables, named by the shared config module (`ENV`). */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Invocation timeout.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's log group keeps its events.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Shown in the Lambda console. */
  readonly description?: string;
  /**
   * Concurrency reserved for this function alone: others cannot use it up, and it cannot exceed it.
   * @default - unreserved (the account's shared pool)
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The one way this project creates a Lambda function: Node.js 24 on ARM64, an ESM bundle built by the
 * locally installed esbuild (no Docker), minified with source maps, active X-Ray tracing, its own log
 * group with a retention, and its own role that starts with nothing but the rights to write to that log
 * group and to send trace segments. Table access is added by the caller, action by action.
 */
export class ServiceFunction extends nodejs.NodejsFunction {
  readonly executionRole: iam.Role;
  readonly functionLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole, whose logs:* rights cover every log group.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.handler} function`,
    });
    logGroup.grantWrite(role);

    // Installed from npm the handlers come prebuilt (a user's synth needs no esbuild, TypeScript or this
    // repository); in this repository they are bundled from source at synth.
    const prebuilt = prebuiltHandlerDir(props.handler);
    if (!prebuilt && !fs.existsSync(handlerEntry(props.handler))) {
      throw new Error(
        `no prebuilt handler ${props.handler} in the oauth-token-revocation package and no source to bundle: ` +
          'reinstall the package, or run `npm run build` in its repository',
      );
    }
    super(scope, id, {
      ...(prebuilt
        ? { code: lambda.Code.fromAsset(prebuilt), handler: 'index.handler' }
        : {
            entry: handlerEntry(props.handler),
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
            bundling: BUNDLING,
          }),
      runtime: RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Lambda's own START/END/REPORT lines are INFO-level system logs: three lines per invocation that
      // the Duration metric and X-Ray already cover, and a large share of the log bytes a request pays
      // for. Failed invocations still count in the Errors metric, which every function has an alarm on.
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      // X-Ray: Lambda records the invocation segment, the Powertools tracer adds the handler and each
      // DynamoDB call. The construct adds xray:PutTraceSegments/PutTelemetryRecords to the role.
      tracing: lambda.Tracing.ACTIVE,
      description: props.description,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        ...props.environment,
        ...POWERTOOLS_ENVIRONMENT,
        // Map minified stack traces back to the TypeScript sources in the function's own logs.
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    this.executionRole = role;
    this.functionLogGroup = logGroup;
  }
}
