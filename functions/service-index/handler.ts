import type { Dependencies } from '#commons/dependencies.ts';
import { InvalidRequest } from '#commons/domain/errors.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { requestIssuer, serviceIndex } from '#commons/metadata.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'issuer'>;

/**
 * GET /: a small JSON index (where the RFC 8414 metadata and the documentation are), so someone who opens
 * the API's URL in a browser or with curl learns where to go instead of meeting a bare 404.
 */
export function createHandler({ http, issuer }: Deps) {
  return httpHandler('service-index', { errors: 'oauth', settings: http }, async (request) => {
    const resolved = issuer ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
    if (resolved === undefined) throw new InvalidRequest('the Host header is not a host name');
    return jsonResult(200, serviceIndex(resolved));
  });
}
