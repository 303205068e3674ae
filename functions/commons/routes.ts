/**
 * The service's HTTP routes: the method, path template and authentication of every function with an http
 * trigger. The manifest builds its http triggers from this table, and a handler reads its own row here
 * (http/handler.ts), so a function bundle carries this table rather than the whole manifest (its IAM
 * actions, stream filters and the rest, which only CDK, the local server and the tests need).
 */

/** An API Gateway HTTP API route. */
export interface HttpTrigger {
  readonly type: 'http';
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  /** API Gateway path template: `{name}` is a path parameter. */
  readonly path: string;
  /** `iam`: SigV4-signed callers only (IAM authorizer on AWS, signature check locally). */
  readonly auth: 'none' | 'iam';
}

type Route = readonly [HttpTrigger['method'], string, HttpTrigger['auth']];

/** Function name: method, path template, authentication. */
const HTTP_ROUTES = {
  'ssf-configuration': ['GET', '/.well-known/ssf-configuration', 'none'],
  'ssf-jwks': ['GET', '/ssf/jwks', 'none'],
  'ssf-create-stream': ['POST', '/ssf/streams', 'none'],
  'ssf-get-stream': ['GET', '/ssf/streams', 'none'],
  'ssf-update-stream': ['PATCH', '/ssf/streams', 'none'],
  'ssf-replace-stream': ['PUT', '/ssf/streams', 'none'],
  'ssf-delete-stream': ['DELETE', '/ssf/streams', 'none'],
  'ssf-get-status': ['GET', '/ssf/status', 'none'],
  'ssf-update-status': ['POST', '/ssf/status', 'none'],
  'ssf-add-subject': ['POST', '/ssf/subjects/add', 'none'],
  'ssf-remove-subject': ['POST', '/ssf/subjects/remove', 'none'],
  'ssf-verify': ['POST', '/ssf/verify', 'none'],
  'ssf-poll': ['POST', '/ssf/poll/{streamId}', 'none'],
  'admin-list-ssf-dead-letters': ['GET', '/admin/ssf/dead-letters', 'iam'],
  'admin-redeliver-ssf-dead-letters': ['POST', '/admin/ssf/dead-letters/redeliver', 'iam'],
  'ssf-receiver': ['POST', '/ssf/receiver/{issuerId}', 'none'],
  'admin-create-issuer': ['POST', '/admin/issuers', 'iam'],
  'admin-list-issuers': ['GET', '/admin/issuers', 'iam'],
  'admin-get-issuer': ['GET', '/admin/issuers/{issuerId}', 'iam'],
  'admin-delete-issuer': ['DELETE', '/admin/issuers/{issuerId}', 'iam'],
  'admin-revoke-issuer-token': ['POST', '/admin/issuers/{issuerId}/revocations', 'iam'],
  'admin-revoke-issuer-tokens': ['DELETE', '/admin/issuers/{issuerId}/tokens', 'iam'],
  'admin-revoke-issuer-client-tokens': [
    'DELETE',
    '/admin/issuers/{issuerId}/clients/{clientId}/tokens',
    'iam',
  ],
  'admin-revoke-issuer-subject-tokens': [
    'DELETE',
    '/admin/issuers/{issuerId}/subjects/{subject}/tokens',
    'iam',
  ],
  token: ['POST', '/oauth2/token', 'none'],
  revoke: ['POST', '/oauth2/revoke', 'none'],
  introspect: ['POST', '/oauth2/introspect', 'none'],
  'admin-create-client': ['POST', '/admin/clients', 'iam'],
  'admin-get-client': ['GET', '/admin/clients/{clientId}', 'iam'],
  'admin-mint-token': ['POST', '/admin/tokens', 'iam'],
  invalidate: ['DELETE', '/oauth/token', 'none'],
  'admin-delete-client': ['DELETE', '/admin/clients/{clientId}', 'iam'],
  'admin-rotate-client-secret': ['POST', '/admin/clients/{clientId}/secret', 'iam'],
  'admin-revoke-client-tokens': ['DELETE', '/admin/clients/{clientId}/tokens', 'iam'],
  'admin-revoke-subject-tokens': ['DELETE', '/admin/subjects/{subject}/tokens', 'iam'],
  'admin-global-token-revocation': ['POST', '/admin/global-token-revocation', 'iam'],
  'admin-delete-access-token': ['DELETE', '/admin/oauth2/accesstokens/{access_token}', 'iam'],
  'admin-delete-refresh-token': ['DELETE', '/admin/oauth2/refreshtokens/{refresh_token}', 'iam'],
  'admin-post-delete-access-token': ['POST', '/admin/oauth2/accesstokens/delete', 'iam'],
  'admin-post-delete-refresh-token': ['POST', '/admin/oauth2/refreshtokens/delete', 'iam'],
  metadata: ['GET', '/.well-known/oauth-authorization-server', 'none'],
  'admin-list-clients': ['GET', '/admin/clients', 'iam'],
  'service-index': ['GET', '/', 'none'],
} as const satisfies Record<string, Route>;

export type HttpFunctionName = keyof typeof HTTP_ROUTES;

/** The http trigger of a function; undefined when it has none. */
export function httpTrigger(name: string): HttpTrigger | undefined {
  const route: Route | undefined = Object.hasOwn(HTTP_ROUTES, name)
    ? HTTP_ROUTES[name as HttpFunctionName]
    : undefined;
  return route && { type: 'http', method: route[0], path: route[1], auth: route[2] };
}

/** `METHOD /path/{param}`, as API Gateway's routeKey. */
export function routeKeyOf(trigger: HttpTrigger): string {
  return `${trigger.method} ${trigger.path}`;
}
