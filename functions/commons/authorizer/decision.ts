/**
 * The authorizer's edge: the three event shapes API Gateway sends a Lambda authorizer, one decision for
 * all of them (the service's activity rule in one consistent read, then the route's scopes), and the
 * answer in each shape's format:
 * - HTTP API, payload 2.0 with simple responses: `{isAuthorized, context}`;
 * - REST API `TOKEN` (`authorizationToken` + `methodArn`) and `REQUEST` (headers + `methodArn`): an IAM
 *   policy with `principalId` and `context`.
 * The raw token never leaves this module except into the hash and the parser; it is never logged.
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  APIGatewayTokenAuthorizerEvent,
  PolicyDocument,
  Statement,
} from 'aws-lambda';
import { findActiveToken } from '../domain/activity.ts';
import { KeysUnavailable } from '../domain/errors.ts';
import type { Clock, RequestStore, TokenRecord } from '../domain/model.ts';
import { presentToken } from '../domain/token-format.ts';
import {
  findActiveTrustedToken,
  isJwsShaped,
  type TrustedToken,
  type TrustedTokens,
} from '../domain/trusted-tokens.ts';
import { isWellFormedToken } from '../http/form.ts';
import { loggablePath } from '../redact.ts';
import { methodArnPattern, missingScopes, type RouteScopes } from './route-scopes.ts';

export type AuthorizerEvent =
  | APIGatewayRequestAuthorizerEventV2
  | APIGatewayTokenAuthorizerEvent
  | APIGatewayRequestAuthorizerEvent;

/** What the integration receives: `$context.authorizer.*` (REST) or `requestContext.authorizer.lambda`. */
export interface AuthorizerContext {
  /** The token's client; [v3] absent for a trusted issuer's token that names none. */
  readonly clientId?: string;
  readonly scope: string;
  readonly sub?: string;
  /** [v3] A trusted issuer's token: its issuer (`iss`). */
  readonly iss?: string;
}

/** What an allowed token grants, whoever issued it: the service (its record) or a trusted issuer. */
export interface AuthorizedToken {
  readonly clientId?: string;
  readonly scope: string;
  readonly subject?: string;
  readonly iss?: string;
}

export type HttpApiAuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<
  Partial<AuthorizerContext> & Record<string, string>
>;

/** Why a request was refused; logged, never sent (API Gateway answers 401/403 itself). */
export type DenyReason = 'no_token' | 'malformed' | 'inactive' | 'insufficient_scope' | 'keys_unavailable';

export type Decision =
  | { readonly allow: true; readonly token: AuthorizedToken }
  | { readonly allow: false; readonly reason: DenyReason; readonly token?: AuthorizedToken };

export interface AuthorizerDeps {
  readonly store: Pick<RequestStore, 'readTokenState'>;
  readonly clock: Clock;
  readonly scopes: RouteScopes;
  /** [v3] Trusted issuers' JWTs; without it only the service's own tokens are accepted. */
  readonly trusted?: TrustedTokens;
  /** [v3] A trusted issuer's keys could not be had and a request was denied for it (metric). */
  readonly onKeysUnavailable?: (error: KeysUnavailable) => void;
}

/** The outcome of one authorization, for the log line (token id as a prefix of its hash only). */
export interface AuthorizationLog {
  readonly eventType: 'http-api' | 'rest-token' | 'rest-request';
  readonly route: string;
  readonly decision: 'allow' | 'deny';
  readonly reason?: DenyReason;
  readonly tokenId?: string;
  readonly clientId?: string;
  /** [v3] A trusted issuer's token: the issuer. */
  readonly iss?: string;
}

/** The access token of an `Authorization: Bearer` value; undefined for none, `false` for a malformed one. */
function bearer(authorization: string | undefined): string | undefined | false {
  if (authorization === undefined || authorization === '') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  return isWellFormedToken(match[1]) ? match[1] : false;
}

/** A header by name, whatever its case: REST API events keep the caller's spelling, HTTP APIs lower-case it. */
function header(headers: Record<string, string | undefined> | null | undefined, name: string) {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

interface Presented {
  readonly tokenId?: string;
  readonly decision: Decision;
}

/**
 * The token's activity by the service's one rule (a single consistent BatchGetItem; none for a token
 * whose format is wrong), then the route's scopes. Only access tokens authorize API calls.
 */
async function decide(
  deps: AuthorizerDeps,
  authorization: string | undefined,
  required: readonly string[],
): Promise<Presented> {
  const raw = bearer(authorization);
  if (raw === undefined) return { decision: { allow: false, reason: 'no_token' } };
  if (raw === false) return { decision: { allow: false, reason: 'malformed' } };
  const presented = presentToken(raw);
  let token: AuthorizedToken | undefined;
  if (!presented.refs && deps.trusted && isJwsShaped(raw)) {
    try {
      const trusted = await findActiveTrustedToken(deps.trusted, raw);
      token = trusted && authorizedTrusted(trusted);
    } catch (error) {
      if (!(error instanceof KeysUnavailable)) throw error;
      // Fail closed: a token that cannot be checked is not let through.
      deps.onKeysUnavailable?.(error);
      return { tokenId: presented.id, decision: { allow: false, reason: 'keys_unavailable' } };
    }
  } else if (presented.refs?.kind === 'access') {
    const record = await findActiveToken(deps.store, deps.clock, presented);
    token = record && authorizedRecord(record);
  }
  if (!token) return { tokenId: presented.id, decision: { allow: false, reason: 'inactive' } };
  if (missingScopes(required, token.scope).length > 0) {
    return { tokenId: presented.id, decision: { allow: false, reason: 'insufficient_scope', token } };
  }
  return { tokenId: presented.id, decision: { allow: true, token } };
}

function authorizedRecord(token: TokenRecord): AuthorizedToken {
  return {
    clientId: token.clientId,
    scope: token.scope,
    ...(token.subject !== undefined && { subject: token.subject }),
  };
}

/** [v3] A trusted issuer's token: its client, scope (empty when it has none), subject and issuer. */
function authorizedTrusted(token: TrustedToken): AuthorizedToken {
  return {
    ...(token.clientId !== undefined && { clientId: token.clientId }),
    scope: token.scope ?? '',
    ...(token.subject !== undefined && { subject: token.subject }),
    iss: token.issuer.issuer,
  };
}

/** The context the integration receives; `sub` only when the token has a subject, `iss` for a trusted issuer's. */
export function contextOf(token: AuthorizedToken | TokenRecord): AuthorizerContext {
  const authorized = 'kind' in token ? authorizedRecord(token) : token;
  return {
    ...(authorized.clientId !== undefined && { clientId: authorized.clientId }),
    scope: authorized.scope,
    ...(authorized.subject !== undefined && { sub: authorized.subject }),
    ...(authorized.iss !== undefined && { iss: authorized.iss }),
  };
}

/** `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/path` split into the API/stage base and the rest. */
function parseMethodArn(methodArn: string): { base: string; method: string; path: string } {
  const [arnPrefix, resource = ''] = splitOnce(methodArn, '/');
  const [stage, rest = ''] = splitOnce(resource, '/');
  const [method, path = ''] = splitOnce(rest, '/');
  return { base: `${arnPrefix}/${stage}`, method, path: `/${path}` };
}

function splitOnce(value: string, separator: string): [string, string?] {
  const at = value.indexOf(separator);
  return at < 0 ? [value] : [value.slice(0, at), value.slice(at + 1)];
}

function isHttpApiEvent(event: AuthorizerEvent): event is APIGatewayRequestAuthorizerEventV2 {
  return (event as { version?: string }).version === '2.0';
}

/**
 * A REST API policy that stays right when API Gateway caches it for other methods of the API: Allow on
 * the whole stage, then a Deny for every rule whose scopes the token lacks (an explicit Deny wins in
 * IAM). Refused without a token's scopes to judge: Deny on the whole stage.
 */
function restPolicy(base: string, scopes: RouteScopes, decision: Decision): PolicyDocument {
  const statement = (Effect: 'Allow' | 'Deny', Resource: string[]): Statement => ({
    Action: 'execute-api:Invoke',
    Effect,
    Resource,
  });
  if (!decision.token) return { Version: '2012-10-17', Statement: [statement('Deny', [`${base}/*`])] };
  const denied = scopes.rules
    .filter((rule) => missingScopes(rule.scopes, decision.token?.scope ?? '').length > 0)
    .map((rule) => `${base}/${methodArnPattern(rule.route)}`);
  return {
    Version: '2012-10-17',
    Statement: [
      statement('Allow', [`${base}/*`]),
      ...(denied.length > 0 ? [statement('Deny', [...new Set(denied)])] : []),
    ],
  };
}

/**
 * Decides one authorizer event and answers it in its shape's format. `log` receives the outcome (never
 * the raw token). A failing store read throws: API Gateway then answers 500, the authorizer fails closed.
 */
export async function authorize(
  deps: AuthorizerDeps,
  event: AuthorizerEvent,
  log: (entry: AuthorizationLog) => void,
): Promise<HttpApiAuthorizerResult | APIGatewayAuthorizerResult> {
  if (isHttpApiEvent(event)) {
    // The route key names the path template (`GET /orders/{id}`); `$default` has none: the raw path.
    const method = event.requestContext.http.method;
    const [, template] = splitOnce(event.routeKey, ' ');
    const path = template ?? event.rawPath;
    const { tokenId, decision } = await decide(
      deps,
      header(event.headers, 'authorization'),
      deps.scopes.required(method, path),
    );
    log(logEntry('http-api', `${method} ${path}`, tokenId, decision));
    return decision.allow
      ? { isAuthorized: true, context: { ...contextOf(decision.token) } }
      : { isAuthorized: false, context: {} };
  }
  const { base, method, path } = parseMethodArn(event.methodArn);
  const authorization =
    event.type === 'TOKEN' ? event.authorizationToken : header(event.headers, 'authorization');
  const { tokenId, decision } = await decide(deps, authorization, deps.scopes.required(method, path));
  // The resource template when there is one: a concrete path of someone else's API may hold a secret.
  const route = event.type === 'TOKEN' ? method : `${event.httpMethod} ${event.resource}`;
  log(logEntry(event.type === 'TOKEN' ? 'rest-token' : 'rest-request', route, tokenId, decision));
  const policyDocument = restPolicy(base, deps.scopes, decision);
  if (!decision.token) return { principalId: 'anonymous', policyDocument };
  const { clientId, subject, iss } = decision.token;
  return {
    principalId: clientId ?? subject ?? iss ?? 'anonymous',
    policyDocument,
    context: { ...contextOf(decision.token) },
  };
}

function logEntry(
  eventType: AuthorizationLog['eventType'],
  route: string,
  tokenId: string | undefined,
  decision: Decision,
): AuthorizationLog {
  return {
    eventType,
    // A `$default` route or a REST method ARN is the request's own path: whatever the caller put there.
    route: loggablePath(route),
    decision: decision.allow ? 'allow' : 'deny',
    ...(!decision.allow && { reason: decision.reason }),
    ...(tokenId !== undefined && { tokenId }),
    ...(decision.token?.clientId !== undefined && { clientId: decision.token.clientId }),
    ...(decision.token?.iss !== undefined && { iss: decision.token.iss }),
  };
}
