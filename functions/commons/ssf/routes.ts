/**
 * What the SSF routes share: the receiver's authorization by bearer token, its own stream, and the issuer
 * a request names. The SSF store and the deliverer's queue are built by each route's composition root.
 */
import { findActiveToken } from '../domain/activity.ts';
import { InvalidRequest } from '../domain/errors.ts';
import type { Clock, RequestStore } from '../domain/model.ts';
import { SCOPE_MANAGE, SCOPE_READ, type Stream } from '../domain/ssf.ts';
import { InsufficientScope, InvalidToken, StreamNotFound } from '../domain/ssf-errors.ts';
import { presentToken } from '../domain/token-format.ts';
import { bearerToken } from '../http/bearer.ts';
import type { HttpRequest } from '../http/handler.ts';
import { requestIssuer } from '../metadata.ts';
import type { SsfDynamoStore } from '../store/ssf.ts';

/** The issuer a route names: `ISSUER`, else the origin the caller reached (as the RFC 8414 metadata). */
export function issuerOf(configured: string | undefined, request: HttpRequest): string {
  const issuer = configured ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
  if (issuer === undefined) throw new InvalidRequest('the Host header is not a host name');
  return issuer;
}

/**
 * The receiver calling: the client whose active `client_credentials` access token is the bearer, with
 * `ssf.manage`, or for `read` either scope. Returns its client id (the streams' `aud`).
 */
export async function authorizeReceiver(
  tokens: { readonly store: RequestStore; readonly clock: Clock },
  request: HttpRequest,
  need: 'manage' | 'read',
): Promise<string> {
  const presented = presentToken(bearerToken(request.headers.authorization));
  request.log.tokenId = presented.id;
  const token =
    presented.refs?.kind === 'access'
      ? await findActiveToken(tokens.store, tokens.clock, presented)
      : undefined;
  if (token?.grantType !== 'client_credentials') throw new InvalidToken();
  request.log.clientId = token.clientId;
  const scopes = token.scope.split(' ');
  const allowed = scopes.includes(SCOPE_MANAGE) || (need === 'read' && scopes.includes(SCOPE_READ));
  if (!allowed) throw new InsufficientScope(need === 'manage' ? SCOPE_MANAGE : SCOPE_READ);
  return token.clientId;
}

/** The receiver's own stream; anyone else's, like a missing one, is 404. */
export async function ownStream(
  ssfStore: SsfDynamoStore,
  streamId: string,
  receiver: string,
): Promise<Stream> {
  const stream = await ssfStore.getStream(streamId);
  if (!stream || stream.receiver !== receiver) throw new StreamNotFound();
  return stream;
}

/** A required query parameter. */
export function queryParameter(request: HttpRequest, name: string): string {
  const value = request.query[name];
  if (value === undefined || value === '') throw new InvalidRequest(`query parameter "${name}" is required`);
  if (value.length > 128) throw new InvalidRequest(`query parameter "${name}" is too long`);
  return value;
}

/** The request body as text (SSF bodies are JSON). */
export const bodyText = (request: HttpRequest) => request.body.toString('utf8');
