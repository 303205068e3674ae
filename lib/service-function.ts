import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BUNDLING } from '../bundling/options.ts';

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

/** The newest Node.js runtime aws-cdk-lib offers; esbuild targets the same version (bundling/options.ts). */
export const RUNTIME = lambda.Runtime.NODEJS_24_X;
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
