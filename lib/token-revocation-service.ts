import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { checkAdminPrincipalArns, checkIssuer, ENV } from '#commons/config.ts';
import {
  type FunctionEntry,
  HTTP_FUNCTIONS,
  isHttp,
  QUEUE_FUNCTIONS,
  routeKey,
  STREAM_FUNCTIONS,
  type StreamTrigger,
} from '#commons/manifest.ts';
import { INDEXES, PARTITION_KEY, TTL_ATTRIBUTE } from '#commons/schema.ts';
import { ServiceFunction } from './service-function.ts';
import { DELIVERER_SETTINGS, SsfTransmitter } from './ssf-transmitter.ts';
import { STREAM_FUNCTION_SETTINGS, STREAM_VIEW_TYPE, StreamConsumers } from './stream-consumers.ts';
import { keyActions, tableAccessStatements } from './table-access.ts';
import { type TrustedIssuer, TrustedIssuerRegistration } from './trusted-issuers.ts';

export interface TokenRevocationServiceProps {
  /**
   * What happens to the table and the log groups when they leave the stack. Relax it to
   * `RemovalPolicy.DESTROY` for development stacks only: the table holds every client and token.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on the table.
   * @default - true, unless `removalPolicy` is `RemovalPolicy.DESTROY`
   */
  readonly deletionProtection?: boolean;
  /**
   * Customer managed KMS key for the table. Each function is then granted only the key actions its
   * table actions need.
   * @default - the AWS managed key `aws/dynamodb`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Steady-state request rate limit of the API stage, requests per second.
   * @default 1000
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst limit of the API stage, requests.
   * @default 500
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Steady-state rate limit of each admin route (`/admin/*`), requests per second: the admin routes'
   * own route-level throttling on the stage, so a flood on `/oauth2/token` (which the stage limits
   * throttle) cannot throttle an emergency revocation.
   * @default 50
   */
  readonly adminThrottlingRateLimit?: number;
  /**
   * Burst limit of each admin route, requests.
   * @default 100
   */
  readonly adminThrottlingBurstLimit?: number;
  /**
   * Reserved concurrency of the `POST /oauth2/revoke` function: concurrency no other function of the
   * account can take from it (and its ceiling). Reserved concurrency comes out of the account's pool,
   * which must keep at least 100 unreserved.
   * @default - unreserved
   */
  readonly revokeReservedConcurrency?: number;
  /**
   * Reserved concurrency of EACH admin function (`/admin/*`), so a busy token endpoint cannot take the
   * concurrency an operator's revocation needs. Counts once per admin function against the account's pool.
   * @default - unreserved
   */
  readonly adminReservedConcurrency?: number;
  /**
   * Reserved concurrency of the sweeper (the stream consumer that deletes the tokens of revoked grants,
   * cut-off clients and subjects): a ceiling, so a burst of big sweeps cannot take the concurrency the
   * request path needs, and a floor no other function can take. Lambda runs at most one sweeper
   * invocation per stream shard at a time; below the shard count, sweeps are throttled and wait.
   * @default - unreserved
   */
  readonly sweeperReservedConcurrency?: number;
  /**
   * Memory in MB of the sweeper.
   * @default 512
   */
  readonly sweeperMemorySize?: number;
  /**
   * Memory in MB of the publisher (stream -> EventBridge).
   * @default 256
   */
  readonly publisherMemorySize?: number;
  /**
   * The EventBridge bus revocation events are put on (`token-revocation` source; docs/events.md). Only the
   * publisher may put events, and only on this bus.
   * @default - a bus the construct creates
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Topic every alarm notifies on ALARM and OK.
   * @default - alarms are created without notification actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The API 5xx alarm fires when this percentage of requests fails with 5xx in 2 of 3 five-minute periods.
   * @default 1
   */
  readonly serverErrorRateThresholdPercent?: number;
  /**
   * Lambda memory in MB, for every request-path function (the routes); the stream consumers have their
   * own (`sweeperMemorySize`, `publisherMemorySize`).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Retention of the function log groups and the API access log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Seconds a caller is told to wait (Retry-After) when DynamoDB is unavailable.
   * @default 1
   */
  readonly retryAfterSeconds?: number;
  /**
   * RFC 8414 issuer identifier published at `/.well-known/oauth-authorization-server` (`ISSUER`), e.g. the
   * custom domain the API is served on: an https URL without query, fragment or trailing slash. Do not
   * pass this construct's own `url`: the functions would then depend on the API that depends on them.
   * @default - the origin each request reached: the API's execute-api URL, or the custom domain it came through
   */
  readonly issuer?: string;
  /**
   * IAM principals allowed on the admin API (`/admin/*`), on top of the IAM authorizer: when given, the
   * admin handlers answer 403 `{"message":"Forbidden"}` to any other caller, even one whose IAM policy
   * allows `execute-api:Invoke`. List IAM user ARNs (matched exactly) or IAM role ARNs, with or without a
   * path (matched by every session of the role, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
   * Set as `ADMIN_PRINCIPAL_ARNS` on the admin functions only.
   * @default - no allow-list: every caller IAM allows
   */
  readonly adminPrincipalArns?: readonly string[];
  /**
   * [v3] The asymmetric KMS key (RSA_2048, SIGN_VERIFY) that signs the Shared Signals SETs; only the SSF
   * deliverer may sign with it. Pass a new key here (and the old one in `ssfRetiredSigningKeys`) to rotate.
   * @default - a key the construct creates (kept when it leaves the stack)
   */
  readonly ssfSigningKey?: kms.IKey;
  /**
   * [v3] Keys that no longer sign SETs but stay published at `jwks_uri` during a rotation's overlap
   * (docs/ssf.md: at least 31 days after the last SET they signed).
   * @default - none
   */
  readonly ssfRetiredSigningKeys?: readonly kms.IKey[];
  /**
   * [v3] Trusted issuers registered at deploy, idempotently (an issuer registered already is left as it
   * is): other authorization servers whose JWT access tokens the service then revokes, introspects and
   * enforces. `cognitoUserPoolIssuer(pool)` fills in an Amazon Cognito user pool's. Removing one from the
   * list deletes nothing: `revocation-admin issuers delete` does, as it revokes every token of the issuer.
   * @default - none (issuers can still be registered through the admin API)
   */
  readonly trustedIssuers?: readonly TrustedIssuer[];
}

/**
 * Fields of one access log line. Only context variables that cannot carry a token: the route key is the
 * path template (`/admin/oauth2/accesstokens/{access_token}`), never `$context.path`, and no header
 * (Authorization, User-Agent) or query string appears. `integrationRequestId` is the Lambda request id,
 * which the function's log lines carry as `function_request_id` (and the API request id as
 * `correlation_id`), so an access log line leads to the function's lines and its X-Ray trace.
 *
 * Left out on purpose: `$context.error.message` and `$context.integrationErrorMessage`. Both are free
 * text written by someone else (API Gateway; the function's runtime, i.e. the message of whatever error
 * escaped the handler, which may quote a body or the raw path with a token in it), so neither can be
 * shown never to carry request data. `status`, `integrationStatus` and the function's own log tell what
 * failed without them.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  responseLength: '$context.responseLength',
  protocol: '$context.protocol',
  sourceIp: '$context.identity.sourceIp',
  iamPrincipal: '$context.identity.userArn',
  integrationRequestId: '$context.integration.requestId',
};

/**
 * A function's description in the console and the template: its route key (`POST /oauth2/revoke`), or what
 * a stream consumer is (`sweeper: table stream consumer`).
 */
export function functionDescription(entry: FunctionEntry): string {
  if (isHttp(entry)) return routeKey(entry);
  return entry.trigger.type === 'queue'
    ? `${entry.name}: SSF deliverer (SQS)`
    : `${entry.name}: table stream consumer`;
}

/** `admin-create-client` -> `AdminCreateClient`: construct ids that read like the handler folders. */
function pascalCase(handler: string): string {
  return handler
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The whole token revocation service: one DynamoDB table built from the shared schema, one Lambda
 * function per entry of the shared route table behind an HTTP API (IAM authorizer on `iam` routes), each
 * function granted exactly its route's table actions, plus access logs, throttling and alarms.
 */
export class TokenRevocationService extends Construct {
  readonly table: dynamodb.Table;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** Functions by route key (`POST /oauth2/revoke`). */
  readonly functions: ReadonlyMap<string, ServiceFunction>;
  /** The table stream's consumers by manifest name (`sweeper`, `publisher`). */
  readonly streamFunctions: ReadonlyMap<string, ServiceFunction>;
  /** The bus revocation events go to: the `eventBus` prop, or the one the construct created. */
  readonly eventBus: events.IEventBus;
  /**
   * [v3] The per-deployment secret that keys subject hashes (the subject key in a token is an HMAC under
   * it): generated by Secrets Manager at deploy, so its value is in no template; read once per cold start
   * by the functions that derive subject keys. Kept like the table: a new secret would give every subject a
   * new key, and a cut-off made afterwards would miss the tokens minted before.
   */
  readonly subjectKeySecret: secretsmanager.ISecret;
  /** Where the stream consumers' event source mappings send the records they gave up on. */
  readonly streamFailureQueue: sqs.Queue;
  /** Fires when `streamFailureQueue` holds a message. Also in `alarms`. */
  readonly streamFailureAlarm: cloudwatch.Alarm;
  /** Per stream consumer (manifest name): its IteratorAge alarm. Also in `alarms`. */
  readonly iteratorAgeAlarms: ReadonlyMap<string, cloudwatch.Alarm>;
  /** Every alarm: add your own actions to them, or pass `alarmTopic`. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** [v3] The Shared Signals transmitter's key, queues and alarms. */
  readonly ssf: SsfTransmitter;
  /** [v3] The SSF deliverer (the one function that signs SETs). */
  readonly ssfDeliverer: ServiceFunction;
  /** [v3] The deploy-time registration of `trustedIssuers`, when the props declare any. */
  readonly trustedIssuerRegistration: TrustedIssuerRegistration | undefined;

  constructor(scope: Construct, id: string, props: TokenRevocationServiceProps = {}) {
    super(scope, id);
    // Fail at synth, not at the first cold start; a token (an imported value) is checked by the function.
    if (props.issuer !== undefined && !Token.isUnresolved(props.issuer)) checkIssuer(props.issuer, 'issuer');
    if (props.adminPrincipalArns !== undefined) {
      // An empty list would lock every operator out; tokens (a role created in the stack) are known at deploy.
      if (props.adminPrincipalArns.length === 0) checkAdminPrincipalArns([], 'adminPrincipalArns');
      const known = props.adminPrincipalArns.filter((arn) => !Token.isUnresolved(arn));
      if (known.length > 0) checkAdminPrincipalArns(known, 'adminPrincipalArns');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = this.createTable(props, removalPolicy);
    // Before the functions: an entry with `events: 'put'` gets this bus's name and PutEvents on it.
    this.eventBus =
      props.eventBus ??
      new events.EventBus(this, 'EventBus', {
        description: 'Revocation events of the token revocation service (source token-revocation)',
      });

    // Before the functions: an entry with `subjectKey: 'read'` gets this secret's ARN and read access to it.
    const subjectKeySecret = new secretsmanager.Secret(this, 'SubjectKeySecret', {
      description: 'Keys the subject hashes of the token revocation service (never rotate: see the docs)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(subjectKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret keys the subject hash that every stored token and subject cut-off is filed under; a ' +
        'rotated value would file new tokens under new keys, and a cut-off made afterwards would miss the ' +
        'tokens minted before it. It is not a credential: it authenticates nothing, it only keeps subject ' +
        'names from being confirmed by hashing guesses.',
    });
    this.subjectKeySecret = subjectKeySecret;

    // Before the functions: each gets the SSF rights its manifest entry names.
    this.ssf = new SsfTransmitter(this, 'Ssf', {
      removalPolicy,
      ...(props.ssfSigningKey && { signingKey: props.ssfSigningKey }),
      ...(props.ssfRetiredSigningKeys && { retiredSigningKeys: props.ssfRetiredSigningKeys }),
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'OAuth 2.0 token revocation (RFC 7009) and introspection (RFC 7662)',
      // The stage is created below, with throttling and access logs the default stage cannot take.
      createDefaultStage: false,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 1000,
        burstLimit: props.throttlingBurstLimit ?? 500,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    for (const [name, value] of Object.entries({
      adminThrottlingRateLimit: props.adminThrottlingRateLimit,
      adminThrottlingBurstLimit: props.adminThrottlingBurstLimit,
      revokeReservedConcurrency: props.revokeReservedConcurrency,
      adminReservedConcurrency: props.adminReservedConcurrency,
      sweeperReservedConcurrency: props.sweeperReservedConcurrency,
      sweeperMemorySize: props.sweeperMemorySize,
      publisherMemorySize: props.publisherMemorySize,
    })) {
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
        throw new Error(`${name} must be a positive integer`);
      }
    }
    const functions = new Map<string, ServiceFunction>();
    const adminRoutes: apigwv2.HttpRoute[] = [];
    const iamAuthorizer = new HttpIamAuthorizer();
    const names = new Set<string>();
    for (const route of HTTP_FUNCTIONS) {
      // httpHandler() finds its entry by function name, so a name can serve one route only.
      if (names.has(route.name)) throw new Error(`function "${route.name}" serves two routes`);
      names.add(route.name);
      const fn = this.createFunction(route, props, removalPolicy, logRetention);
      const httpRoutes = this.api.addRoutes({
        path: route.trigger.path,
        methods: [apigwv2.HttpMethod[route.trigger.method]],
        integration: new HttpLambdaIntegration(`${pascalCase(route.name)}Integration`, fn),
        authorizer: route.trigger.auth === 'iam' ? iamAuthorizer : undefined,
      });
      if (route.trigger.auth === 'none') {
        for (const httpRoute of httpRoutes) {
          // On the CfnRoute only, not on the Lambda permission beside it.
          Validations.of(httpRoute.node.defaultChild ?? httpRoute).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason:
              route.trigger.path.startsWith('/.well-known/') || route.trigger.path === '/'
                ? 'Public discovery document (RFC 8414 authorization server metadata, or the index naming it): clients read it before ' +
                  'they hold any credential; it names endpoints and methods only, no secret, and reads no data.'
                : 'Public OAuth endpoint: the handler authenticates the caller itself, by OAuth client ' +
                  'authentication (RFC 6749 2.3: client_secret_basic, client_secret_post or a registered public ' +
                  'client) or by the bearer token being invalidated (RFC 6750), which no API Gateway authorizer ' +
                  'can do; failures are answered 401 by the handler.',
          });
        }
      }
      if (route.trigger.auth === 'iam') adminRoutes.push(...httpRoutes);
      functions.set(routeKey(route), fn);
    }
    this.functions = functions;
    this.isolateAdminRoutes(adminRoutes, props);

    const consumers = new Map<string, { entry: FunctionEntry<StreamTrigger>; fn: ServiceFunction }>();
    for (const entry of STREAM_FUNCTIONS) {
      if (names.has(entry.name)) throw new Error(`function "${entry.name}" is in the manifest twice`);
      names.add(entry.name);
      consumers.set(entry.name, {
        entry,
        fn: this.createFunction(entry, props, removalPolicy, logRetention),
      });
    }
    this.streamFunctions = new Map([...consumers].map(([name, { fn }]) => [name, fn]));
    const streams = new StreamConsumers(this, 'Stream', { table: this.table, consumers, removalPolicy });
    this.streamFailureQueue = streams.failureQueue;
    this.streamFailureAlarm = streams.failureAlarm;
    this.iteratorAgeAlarms = streams.iteratorAgeAlarms;

    const [delivererEntry, ...others] = QUEUE_FUNCTIONS;
    if (!delivererEntry || others.length > 0)
      throw new Error('the manifest must have one queue function (the SSF deliverer)');
    if (names.has(delivererEntry.name))
      throw new Error(`function "${delivererEntry.name}" is in the manifest twice`);
    this.ssfDeliverer = this.createFunction(delivererEntry, props, removalPolicy, logRetention);
    // The SETs' iss: the configured issuer, else the API's own origin, as a request to it would name it.
    const stack = Stack.of(this);
    const issuer = props.issuer ?? `https://${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    this.ssf.connect(delivererEntry, this.ssfDeliverer, this.eventBus, issuer);

    this.trustedIssuerRegistration =
      props.trustedIssuers && props.trustedIssuers.length > 0
        ? new TrustedIssuerRegistration(this, 'TrustedIssuers', {
            table: this.table,
            issuers: props.trustedIssuers,
            logRetention,
            removalPolicy,
          })
        : undefined;

    this.alarms = this.createAlarms(
      props,
      [...functions.values(), ...this.streamFunctions.values(), this.ssfDeliverer],
      [...streams.iteratorAgeAlarms.values(), streams.failureAlarm, ...this.ssf.alarms],
    );
  }

  /** The API's base URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  get url(): string {
    return this.stage.url;
  }

  /**
   * Route-level throttling for every admin route: each gets its own limits instead of the stage's
   * defaults that the OAuth routes share, so no OAuth traffic can use up an operator's requests.
   */
  private isolateAdminRoutes(routes: apigwv2.HttpRoute[], props: TokenRevocationServiceProps): void {
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    const settings = {
      ThrottlingRateLimit: props.adminThrottlingRateLimit ?? 50,
      ThrottlingBurstLimit: props.adminThrottlingBurstLimit ?? 100,
    };
    cfnStage.routeSettings = Object.fromEntries(
      HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'iam').map((route) => [
        routeKey(route),
        settings,
      ]),
    );
    // CloudFormation refuses route settings for a route key the API does not have yet.
    for (const route of routes) cfnStage.node.addDependency(route);
  }

  private createTable(props: TokenRevocationServiceProps, removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
      stream: dynamodb.StreamViewType[STREAM_VIEW_TYPE],
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    });
    for (const index of INDEXES) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(index.sortKey && { sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING } }),
        ...(index.projected.length === 0
          ? { projectionType: dynamodb.ProjectionType.KEYS_ONLY }
          : { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.projected] }),
      });
    }
    return table;
  }

  /**
   * One function of the manifest, with exactly the table (and key) rights its entry lists and, when the
   * entry says `events: 'put'`, PutEvents on the service's bus and nothing else of EventBridge.
   */
  private createFunction(
    route: FunctionEntry,
    props: TokenRevocationServiceProps,
    removalPolicy: RemovalPolicy,
    logRetention: logs.RetentionDays,
  ): ServiceFunction {
    const id = pascalCase(route.name);
    const http = isHttp(route) ? route : undefined;
    const stream = route.trigger.type === 'stream' ? STREAM_FUNCTION_SETTINGS[route.name] : undefined;
    if (route.trigger.type === 'stream' && !stream) {
      throw new Error(`stream function "${route.name}" has no memory and timeout settings`);
    }
    const memoryProps: Record<string, number | undefined> = {
      sweeper: props.sweeperMemorySize,
      publisher: props.publisherMemorySize,
    };
    const queue = route.trigger.type === 'queue' ? DELIVERER_SETTINGS : undefined;
    const memorySize = http
      ? props.memorySize
      : (memoryProps[route.name] ?? stream?.memorySize ?? queue?.memorySize);
    const fn = new ServiceFunction(this, id, {
      handler: route.name,
      description: functionDescription(route),
      memorySize,
      timeout: stream?.timeout ?? queue?.timeout,
      logRetention,
      logRemovalPolicy: removalPolicy,
      reservedConcurrentExecutions:
        route.name === 'revoke'
          ? props.revokeReservedConcurrency
          : route.name === 'sweeper'
            ? props.sweeperReservedConcurrency
            : http?.trigger.auth === 'iam'
              ? props.adminReservedConcurrency
              : undefined,
      environment: {
        [ENV.tableName]: this.table.tableName,
        ...(http && { [ENV.retryAfterSeconds]: String(props.retryAfterSeconds ?? 1) }),
        ...(http && props.issuer !== undefined && { [ENV.issuer]: props.issuer }),
        ...(http?.trigger.auth === 'iam' &&
          props.adminPrincipalArns !== undefined && {
            [ENV.adminPrincipalArns]: props.adminPrincipalArns.join(','),
          }),
        ...(route.events === 'put' && { [ENV.eventBusName]: this.eventBus.eventBusName }),
        ...(route.subjectKey === 'read' && { [ENV.subjectKeySecretArn]: this.subjectKeySecret.secretArn }),
      },
    });
    if (route.events === 'put') this.eventBus.grantPutEventsTo(fn.executionRole);
    if (route.subjectKey === 'read') this.subjectKeySecret.grantRead(fn.executionRole);
    this.ssf.bind(route, fn);
    Validations.of(fn.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords, added by the Lambda construct, ' +
        'support no resource-level permissions, so X-Ray only accepts them on "*".' +
        (stream
          ? ' The table stream event source adds dynamodb:ListStreams, which takes no resource-level ' +
            'permission either; the stream reads themselves are granted on the table stream ARN only.'
          : ''),
    });
    for (const statement of tableAccessStatements(route, this.table.tableArn)) {
      fn.executionRole.addToPrincipalPolicy(statement);
    }
    if (props.encryptionKey) {
      props.encryptionKey.grant(fn.executionRole, ...keyActions(route));
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        Validations.of(fn.executionRole).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            'The table key needs these KMS action families for DynamoDB to encrypt items on the function’s ' +
            'behalf; they are granted on that one key only.',
        });
      }
    }
    return fn;
  }

  private createAlarms(
    props: TokenRevocationServiceProps,
    functions: ServiceFunction[],
    created: cloudwatch.Alarm[],
  ): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const alarms: cloudwatch.Alarm[] = [...created];
    const threshold = props.serverErrorRateThresholdPercent ?? 1;

    alarms.push(
      new cloudwatch.Alarm(this, 'ApiServerErrorRate', {
        alarmDescription: `More than ${threshold}% of API requests answered 5xx`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          usingMetrics: {
            errors: this.api.metricServerError({ period, statistic: 'Sum' }),
            requests: this.api.metricCount({ period, statistic: 'Sum' }),
          },
          label: '5xx rate (%)',
          period,
        }),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    // One alarm per function on errors + throttles: either means callers got no answer from the code,
    // and one alarm instead of two halves the per-alarm cost of a service that is otherwise pay-per-use.
    for (const fn of functions) {
      const id = fn.node.id;
      alarms.push(
        new cloudwatch.Alarm(this, `${id}ErrorsOrThrottles`, {
          alarmDescription:
            `${id}: invocations failed (crash, timeout, init error; not a 4xx/5xx answer) ` +
            'or were throttled (concurrency exhausted)',
          metric: new cloudwatch.MathExpression({
            expression: 'FILL(errors, 0) + FILL(throttles, 0)',
            usingMetrics: {
              errors: fn.metricErrors({ period, statistic: 'Sum' }),
              throttles: fn.metricThrottles({ period, statistic: 'Sum' }),
            },
            label: 'errors + throttles',
            period,
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // Every operation the store sends (transactions carry the ConditionCheck and Put/Update items).
    const operations = [
      dynamodb.Operation.GET_ITEM,
      dynamodb.Operation.BATCH_GET_ITEM,
      dynamodb.Operation.PUT_ITEM,
      dynamodb.Operation.UPDATE_ITEM,
      dynamodb.Operation.DELETE_ITEM,
      dynamodb.Operation.BATCH_WRITE_ITEM,
      dynamodb.Operation.QUERY,
      dynamodb.Operation.TRANSACT_WRITE_ITEMS,
    ];
    alarms.push(
      new cloudwatch.Alarm(this, 'TableThrottles', {
        alarmDescription: 'DynamoDB throttled requests on the token table',
        metric: this.table.metricThrottledRequestsForOperations({ operations, period, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'TableSystemErrors', {
        alarmDescription: 'DynamoDB answered HTTP 500 (system errors) on the token table',
        metric: this.table.metricSystemErrorsForOperations({ operations, period, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    return alarms;
  }
}
