import type { Dependencies } from '#commons/dependencies.ts';
import { receiveSet, SetRefused } from '#commons/domain/ssf-receiver.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { isIssuerId } from '#commons/http/issuer-json.ts';
import { auditRevocation, logger } from '#commons/log.ts';
import { requestIssuer } from '#commons/metadata.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'trusted' | 'trustStore' | 'ssfStore' | 'issuer'>;

/** A SET is a JWS compact string: a few KB; anything much larger is not one. */
const MAX_SET_BYTES = 64 * 1024;

const refused = (err: string, description: string) => ({
  statusCode: 400,
  json: { err, description },
});

/**
 * POST /ssf/receiver/{issuerId} (RFC 8935): a trusted issuer's SSF transmitter pushes a SET. 202 when it
 * is taken (processed, ignored as an event type the service does not act on, or a replay of a `jti`
 * already processed); 400 `{"err","description"}` when it is refused for good; 503 while the issuer's keys
 * or the table cannot be had (the transmitter retries).
 */
export function createHandler({
  http,
  clock,
  trusted,
  trustStore,
  ssfStore: received,
  issuer: configured,
}: Deps) {
  return httpHandler('ssf-receiver', { errors: 'oauth', settings: http }, async (request) => {
    const { issuerId } = request.pathParameters;
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/secevent+jwt')
      return refused('invalid_request', 'Content-Type must be application/secevent+jwt');
    if (request.body.length === 0 || request.body.length > MAX_SET_BYTES)
      return refused('invalid_request', 'the body must be one SET');
    const audience = configured ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
    if (audience === undefined) return refused('invalid_request', 'the Host header is not a host name');
    const issuer = isIssuerId(issuerId) ? await trustStore.readIssuer(issuerId) : undefined;
    try {
      const result = await receiveSet(
        { trustStore, received, keys: trusted.keys, clock },
        issuer,
        request.body.toString('utf8').trim(),
        audience,
      );
      if (result.outcome === 'revoked') auditRevocation(result.event);
      logger.info('SET received', { ssf: { issuerId, outcome: result.outcome } });
      return { statusCode: 202 };
    } catch (error) {
      if (!(error instanceof SetRefused)) throw error;
      logger.warn('SET refused', { ssf: { issuerId, err: error.err, description: error.description } });
      return refused(error.err, error.description);
    }
  });
}
