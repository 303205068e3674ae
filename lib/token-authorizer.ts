import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  compileRouteScopes,
  ROUTE_SCOPES_ENV,
  type RouteScopeRule,
} from '#commons/authorizer/route-scopes.ts';
import { ENV } from '#commons/config.ts';
import { functionEntry } from '#commons/manifest.ts';
import { ServiceFunction } from './service-function.ts';
import { keyActions, tableAccessStatements } from './table-access.ts';

export interface TokenAuthorizerProps {
  /**
   * The token revocation service's table, usually imported into another stack:
   * `dynamodb.Table.fromTableName(this, 'Tokens', name)` or `fromTableArn(...)` (an ARN in another
   * account also needs the table's resource policy, see the README). Pass `fromTableAttributes` with
   * `encryptionKey` when the table uses a customer managed key. The authorizer gets
   * `dynamodb:BatchGetItem` on it and nothing else.
   */
  readonly table: dynamodb.ITable;
  /**
   * Scopes every request through this authorizer needs.
   * @default - none: any active access token is accepted
   */
  readonly requiredScopes?: readonly string[];
  /**
   * Scopes per route, on top of `requiredScopes`, so one authorizer can guard routes with different
   * needs. Keys are `METHOD /path`: an HTTP API route key (`GET /orders/{id}`), `ANY`/`*` for every
   * method, `{name}` for one path segment, a trailing `*` for anything below (`DELETE /orders/*`).
   * A request needs the scopes of every key it matches. HTTP APIs match the route's path template;
   * REST APIs match the method ARN's concrete path (write `{id}` or `*` for parameters).
   * @default - no per-route scopes
   */
  readonly routeScopes?: Readonly<Record<string, readonly string[]>>;
  /**
   * How long API Gateway caches the authorizer's answer for one token. Anything above zero delays every
   * revocation by up to this long on the protected API: a revoked token keeps working until its cached
   * answer expires.
   * @default Duration.seconds(0) - no cache: a revocation takes effect on the next request
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * Reserved concurrency of the authorizer function, so other functions of the account cannot starve it.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Lambda memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** REST TOKEN authorizers: API Gateway answers 401 itself, without invoking, when this does not match. */
export const BEARER_VALIDATION_REGEX = '^[Bb][Ee][Aa][Rr][Ee][Rr] +[-A-Za-z0-9._~+/]+=*$';

/** The manifest entry of the authorizer function (trigger `authorizer`: no route on the service's API). */
const ENTRY = functionEntry('authorizer');

/**
 * A Lambda authorizer for your own API Gateway APIs, backed by the token revocation service's table:
 * it accepts `Authorization: Bearer <access_token>` only when the token is active by the service's rule
 * (one consistent BatchGetItem of the token, its client, its grant and its subject's cut-off) and holds
 * the route's scopes, and hands `clientId`, `scope` and `sub` to the integration.
 *
 * One function serves any number of APIs: `httpApiAuthorizer()` for HTTP APIs (payload 2.0, simple
 * responses), `restTokenAuthorizer()` / `restRequestAuthorizer()` for REST APIs.
 */
export class TokenAuthorizer extends Construct {
  readonly function: ServiceFunction;
  /** The cache TTL every authorizer made here uses. */
  readonly resultsCacheTtl: Duration;
  readonly rules: readonly RouteScopeRule[];

  constructor(scope: Construct, id: string, props: TokenAuthorizerProps) {
    super(scope, id);
    this.resultsCacheTtl = props.resultsCacheTtl ?? Duration.seconds(0);
    if (this.resultsCacheTtl.toSeconds() > 3600) {
      throw new Error('resultsCacheTtl must be at most 1 hour (API Gateway limit)');
    }
    const rules: RouteScopeRule[] = [
      ...(props.requiredScopes && props.requiredScopes.length > 0
        ? [{ route: '*', scopes: [...props.requiredScopes] }]
        : []),
      ...Object.entries(props.routeScopes ?? {}).map(([route, scopes]) => ({ route, scopes: [...scopes] })),
    ];
    // Fails at synth with the rule's name, instead of at the function's first cold start.
    compileRouteScopes(rules);
    this.rules = rules;

    this.function = new ServiceFunction(this, 'Function', {
      handler: ENTRY.name,
      description: 'Lambda authorizer: bearer access tokens of the token revocation service',
      memorySize: props.memorySize,
      // API Gateway waits at most 10 s for an authorizer; the store's own deadline (3.5 s) comes first.
      timeout: Duration.seconds(10),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        [ENV.tableName]: props.table.tableName,
        ...(rules.length > 0 && { [ROUTE_SCOPES_ENV]: JSON.stringify(rules) }),
      },
    });
    Validations.of(this.function.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords, added by the Lambda construct, ' +
        'support no resource-level permissions, so X-Ray only accepts them on "*".',
    });
    for (const statement of tableAccessStatements(ENTRY, props.table.tableArn)) {
      this.function.executionRole.addToPrincipalPolicy(statement);
    }
    props.table.encryptionKey?.grant(this.function.executionRole, ...keyActions(ENTRY));
  }

  /**
   * An authorizer for one HTTP API (payload 2.0, simple responses); attach it to routes with
   * `httpApi.addRoutes({ ..., authorizer })`. A request without an Authorization header is answered 401
   * by API Gateway without invoking the function; a refused token gets 403.
   */
  httpApiAuthorizer(id = 'TokenAuthorizer'): HttpLambdaAuthorizer {
    return new HttpLambdaAuthorizer(id, this.function, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // With a cache, an answer is cached per identity: the route key keeps one route's answer (and its
      // scopes) from being reused for another route.
      identitySource: [
        '$request.header.Authorization',
        ...(this.rules.length > 0 ? ['$context.routeKey'] : []),
      ],
      resultsCacheTtl: this.resultsCacheTtl,
    });
  }

  /**
   * A REST API `TOKEN` authorizer (identity: the Authorization header, checked against
   * `BEARER_VALIDATION_REGEX` before invoking). Its policy allows the stage and denies each route whose
   * scopes the token lacks, so a cached answer stays right for every method.
   */
  restTokenAuthorizer(id: string): apigw.TokenAuthorizer {
    return new apigw.TokenAuthorizer(this, id, {
      handler: this.function,
      identitySource: apigw.IdentitySource.header('Authorization'),
      validationRegex: BEARER_VALIDATION_REGEX,
      resultsCacheTtl: this.resultsCacheTtl,
    });
  }

  /** A REST API `REQUEST` authorizer (identity: the Authorization header). */
  restRequestAuthorizer(id: string): apigw.RequestAuthorizer {
    return new apigw.RequestAuthorizer(this, id, {
      handler: this.function,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: this.resultsCacheTtl,
    });
  }
}
