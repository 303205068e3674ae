import { readConfig } from '#commons/config.ts';
import { InvalidRequest } from '#commons/domain/errors.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { requestIssuer, serviceIndex } from '#commons/metadata.ts';

// Not runtime.ts: this function never touches the table, so it does not load the DynamoDB client.
const { issuer } = readConfig(process.env);

/**
 * GET /: a small JSON index (where the RFC 8414 metadata and the documentation are), so someone who opens
 * the API's URL in a browser or with curl learns where to go instead of meeting a bare 404.
 */
export const handler = httpHandler('service-index', { errors: 'oauth' }, async (request) => {
  const resolved = issuer ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
  if (resolved === undefined) throw new InvalidRequest('the Host header is not a host name');
  return jsonResult(200, serviceIndex(resolved));
});
