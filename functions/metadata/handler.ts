import type { Dependencies } from '#commons/dependencies.ts';
import { InvalidRequest } from '#commons/domain/errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { authorizationServerMetadata, requestIssuer } from '#commons/metadata.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'issuer'>;

/**
 * The document names no secret and changes only with a deployment, so clients and shared caches may keep
 * it for an hour (the one response of this service that may be cached).
 */
const CACHE_CONTROL = 'public, max-age=3600';

/** GET /.well-known/oauth-authorization-server (RFC 8414). */
export function createHandler({ http, issuer }: Deps) {
  return httpHandler('metadata', { errors: 'oauth', settings: http }, async (request) => {
    const resolved = issuer ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
    if (resolved === undefined) throw new InvalidRequest('the Host header is not a host name');
    return {
      statusCode: 200,
      json: authorizationServerMetadata(resolved),
      headers: { 'Cache-Control': CACHE_CONTROL },
    };
  });
}
