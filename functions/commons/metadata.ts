/**
 * RFC 8414 authorization server metadata: what a standards-following client library needs to find this
 * service's endpoints and the client authentication each accepts. No AWS and no I/O here.
 */
import { isLoopbackHost } from './config.ts';

/** The RFC 8414 section 2 fields this service publishes. */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly revocation_endpoint: string;
  readonly introspection_endpoint: string;
  readonly grant_types_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly introspection_endpoint_auth_methods_supported: readonly string[];
  readonly response_types_supported: readonly string[];
}

/** Public clients (`none`) may get tokens and revoke their own, but introspection is for resource servers. */
const CLIENT_AUTH = ['client_secret_basic', 'client_secret_post', 'none'] as const;
const CONFIDENTIAL_CLIENT_AUTH = ['client_secret_basic', 'client_secret_post'] as const;

/**
 * The metadata document for an issuer identifier (already validated, no trailing slash; see
 * `checkIssuer` in config.ts). `response_types_supported` is required by RFC 8414 but this service has no
 * authorization endpoint, so it is empty; `scopes_supported` is left out because scopes are per client.
 */
export function authorizationServerMetadata(issuer: string): AuthorizationServerMetadata {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth2/token`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    introspection_endpoint: `${issuer}/oauth2/introspect`,
    grant_types_supported: ['client_credentials', 'refresh_token'],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH],
    introspection_endpoint_auth_methods_supported: [...CONFIDENTIAL_CLIENT_AUTH],
    response_types_supported: [],
  };
}

/** A bare `host[:port]` (a name, an IPv4 address or a bracketed IPv6 address), nothing else. */
const HOST_AND_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The issuer a request implies when none is configured: the origin the caller reached. API Gateway puts
 * the API's own domain in `requestContext.domainName` and the scheme in `x-forwarded-proto`; the local
 * server does the same. Plain http is believed for loopback hosts only, the one place config allows it,
 * so a forged header cannot turn a deployed service's (publicly cacheable) document into http URLs.
 * The result is a URL origin: lower-case host, no default port, no trailing slash.
 * Returns undefined when `domainName` is not a bare host[:port].
 */
export function requestIssuer(domainName: string, forwardedProto: string | undefined): string | undefined {
  if (!HOST_AND_PORT.test(domainName)) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${domainName}`);
  } catch {
    return undefined;
  }
  const proto = forwardedProto?.split(',')[0]?.trim().toLowerCase();
  if (proto === 'http' && isLoopbackHost(url.hostname)) {
    url = new URL(`http://${domainName}`);
  }
  return url.origin;
}

/** Where the service's documentation lives: its package page, which shows the README. */
export const DOCUMENTATION_URL = 'https://www.npmjs.com/package/oauth-token-revocation';

/** [v3] `GET /`: what the service is and where to look next. */
export interface ServiceIndex {
  readonly service: string;
  readonly issuer: string;
  /** The RFC 8414 document, which names every OAuth endpoint. */
  readonly authorization_server_metadata: string;
  readonly documentation: string;
}

/** The index document for an issuer identifier (validated as for the metadata document). */
export function serviceIndex(issuer: string): ServiceIndex {
  return {
    service: 'OAuth 2.0 token revocation (RFC 7009) and introspection (RFC 7662)',
    issuer,
    authorization_server_metadata: `${issuer}/.well-known/oauth-authorization-server`,
    documentation: DOCUMENTATION_URL,
  };
}
