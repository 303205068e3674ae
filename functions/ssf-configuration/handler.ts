import type { Dependencies } from '#commons/dependencies.ts';
import { InvalidRequest } from '#commons/domain/errors.ts';
import { POLL, PUSH } from '#commons/domain/ssf.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { requestIssuer } from '#commons/metadata.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'issuer'>;

/** GET /.well-known/ssf-configuration (SSF 1.0 section 7.1): the transmitter's metadata. */
export function createHandler({ http, issuer }: Deps) {
  return httpHandler('ssf-configuration', { errors: 'oauth', settings: http }, async (request) => {
    const iss = issuer ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
    if (iss === undefined) throw new InvalidRequest('the Host header is not a host name');
    return {
      statusCode: 200,
      json: {
        spec_version: '1_0',
        issuer: iss,
        jwks_uri: `${iss}/ssf/jwks`,
        delivery_methods_supported: [PUSH, POLL],
        configuration_endpoint: `${iss}/ssf/streams`,
        status_endpoint: `${iss}/ssf/status`,
        add_subject_endpoint: `${iss}/ssf/subjects/add`,
        remove_subject_endpoint: `${iss}/ssf/subjects/remove`,
        verification_endpoint: `${iss}/ssf/verify`,
        authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
        default_subjects: 'ALL',
      },
      // Like the RFC 8414 document: it names endpoints only and changes with a deployment.
      headers: { 'Cache-Control': 'public, max-age=3600' },
    };
  });
}
