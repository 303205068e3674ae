/**
 * Apigee Edge's "delete access token" and "delete refresh token", shared by their two forms: the DELETE
 * routes that name the token in the path (as Apigee does) and the POST `.../delete` routes that carry it
 * in a JSON body `{"token"}`, because a token in a URL path can reach logs the service does not control.
 * Both forms answer alike: the deleted token's Apigee profile, or Apigee's 404 bodies.
 */

import type { HttpSettings } from '../config.ts';
import { adminRevoke } from '../domain/admin.ts';
import { InvalidInput } from '../domain/errors.ts';
import type { Clock, RequestStore, TokenKind } from '../domain/model.ts';
import { auditRevocation } from '../log.ts';
import { knownFields, parseJsonObject } from './admin-json.ts';
import { apigeeProfile, apigeeToken } from './apigee.ts';
import { type HttpRequest, httpHandler, iamRevoker, jsonResult } from './handler.ts';

/** What a delete-token route is built from (its composition root passes them). */
export interface AdminTokenDeleteDeps {
  readonly http: HttpSettings;
  readonly store: RequestStore;
  readonly clock: Clock;
}

/** Where a route finds the raw token. */
export type TokenSource = (request: HttpRequest) => string;

/** The token named by a path parameter (`{access_token}`, `{refresh_token}`). */
export const tokenFromPath =
  (parameter: string): TokenSource =>
  (request) =>
    request.pathParameters[parameter] ?? '';

/**
 * The `token` field of a JSON body. Missing or not a string is a 400 naming the field; any string,
 * malformed ones included, is judged like a path value (an unknown token: Apigee's 404).
 */
export const tokenFromBody: TokenSource = (request) => {
  const body = parseJsonObject(request.body.toString('utf8'));
  const { token } = body;
  if (typeof token !== 'string') throw new InvalidInput('token', 'is required: the raw token, a string');
  knownFields(body, ['token']);
  return token;
};

/**
 * The handler of a delete-token route: revokes the token of the given kind (a refresh token: its whole
 * grant, in one write; the sweeper deletes the grant's tokens later) and answers its Apigee profile, a
 * refresh token's with its grant.
 */
export function apigeeTokenDeleteHandler(
  name: string,
  kind: TokenKind,
  source: TokenSource,
  { http, store, clock }: AdminTokenDeleteDeps,
) {
  return httpHandler(name, { errors: 'apigee', settings: http }, async (request) => {
    const raw = source(request);
    const { event, token } = await adminRevoke(
      store,
      clock,
      iamRevoker(request),
      kind,
      apigeeToken(raw, kind),
    );
    request.log.tokenId = token.id;
    request.log.clientId = token.clientId;
    auditRevocation(event, kind);
    const profile = apigeeProfile(token, raw);
    return jsonResult(200, kind === 'refresh' ? { ...profile, grantId: token.grantId } : profile);
  });
}
