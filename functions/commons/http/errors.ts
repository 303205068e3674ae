/**
 * The one mapper from outcomes to HTTP error responses. The domain throws `DomainError`s that know
 * nothing of HTTP; each route answers them in its wire format (its error profile): OAuth JSON (RFC 6749
 * 5.2), the bearer-token rules of `DELETE /oauth/token` (RFC 6750 3.1), the admin API's `{"message"}`
 * (API Gateway's own shape) or Apigee Edge's management API bodies. Anything unknown is a bare 500.
 */
import {
  AlreadyExists,
  DomainError,
  Forbidden,
  IdempotencyKeyReused,
  InvalidClient,
  InvalidInput,
  InvalidRequest,
  InvalidScope,
  KeysUnavailable,
  NotFound,
  StoreUnavailable,
  TooManyFailedAuthentications,
  UnknownField,
} from '../domain/errors.ts';
import { InsufficientScope, InvalidToken, StreamConflict, StreamNotFound } from '../domain/ssf-errors.ts';

/**
 * Which wire format a route's errors take. `global-revocation`: the admin API's errors, but a refused
 * request is the draft's bare `{"error":"invalid_request"}`.
 */
export type ErrorProfile = 'oauth' | 'bearer' | 'admin' | 'apigee' | 'global-revocation' | 'ssf';

export interface ErrorResponse {
  readonly statusCode: number;
  /** JSON body; absent for an empty body. */
  readonly json?: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/** RFC 6750 3.1: the request carried no bearer credential at all. An HTTP outcome, not a domain one. */
export class MissingBearerCredential extends Error {
  constructor() {
    super('bearer access token required');
  }
}

const BEARER_REALM = 'Bearer realm="oauth"';

const APIGEE_NOT_FOUND: Record<string, string> = {
  access_token: 'Invalid Access Token',
  refresh_token: 'Invalid Refresh Token',
};

const oauth = (statusCode: number, error: string, description?: string, headers = {}): ErrorResponse => ({
  statusCode,
  json: description === undefined ? { error } : { error, error_description: description },
  headers,
});
const message = (statusCode: number, text: string): ErrorResponse => ({
  statusCode,
  json: { message: text },
  headers: {},
});

/**
 * Errors of other middy middlewares (http-errors' convention): a 4xx whose message may be shown keeps its
 * status, in the route's wire format.
 */
function exposedClientError(error: unknown): { statusCode: number; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { statusCode, expose } = error as { statusCode?: unknown; expose?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499 || expose !== true) {
    return undefined;
  }
  return { statusCode, message: error.message };
}

function oauthError(error: DomainError, profile: 'oauth' | 'bearer'): ErrorResponse | undefined {
  if (error instanceof InvalidClient) {
    // RFC 6749 5.2: the Basic challenge only when the client tried the Authorization header.
    const headers: Record<string, string> =
      error.method === 'client_secret_basic' ? { 'WWW-Authenticate': 'Basic realm="oauth"' } : {};
    return oauth(401, 'invalid_client', error.message, headers);
  }
  if (error instanceof TooManyFailedAuthentications) {
    // RFC 6749 5.2 has no code for it; temporarily_unavailable (4.1.2.1) says "try again later".
    return oauth(429, 'temporarily_unavailable', error.message, {
      'Retry-After': String(error.retryAfterSeconds),
    });
  }
  if (error instanceof InvalidRequest) {
    const headers: Record<string, string> =
      profile === 'bearer' ? { 'WWW-Authenticate': `${BEARER_REALM}, error="invalid_request"` } : {};
    return oauth(400, 'invalid_request', error.message, headers);
  }
  if (error instanceof NotFound && profile === 'bearer') {
    return oauth(403, 'invalid_token', 'Access Token already invalidated or not found');
  }
  switch (error.code) {
    case 'invalid_grant':
    case 'invalid_scope':
    case 'unauthorized_client':
    case 'unsupported_grant_type':
      return oauth(400, error.code, error.message);
    case 'not_token_owner':
      // RFC 7009 2.1 names no error code for it; invalid_request is what the contract fixes.
      return oauth(400, 'invalid_request', error.message);
    default:
      return undefined;
  }
}

function adminError(error: DomainError, profile: ErrorProfile): ErrorResponse | undefined {
  if (error instanceof NotFound) {
    const apigee = APIGEE_NOT_FOUND[error.what];
    if (profile === 'apigee' && apigee !== undefined) {
      return {
        statusCode: 404,
        json: { code: 'keymanagement.service.invalid_account_name', message: apigee, contexts: [] },
        headers: {},
      };
    }
    return message(404, error.message);
  }
  if (error instanceof IdempotencyKeyReused) return message(422, error.message);
  if (error instanceof AlreadyExists) return message(409, error.message);
  // Scope rules are OAuth's; on the admin API they are a field of the JSON body.
  if (error instanceof InvalidScope) return message(400, `"scope" ${error.message}`);
  if (error instanceof InvalidInput || error instanceof InvalidRequest) return message(400, error.message);
  return undefined;
}

/**
 * [v3] The SSF management API (a resource server's bearer rules, RFC 6750 3.1): an inactive token is 401
 * `invalid_token`, a missing scope 403 `insufficient_scope`, both with their challenge; bad input is 400
 * `invalid_request`, an unknown stream 404, a conflict 409, all as OAuth error JSON.
 */
function ssfError(error: DomainError): ErrorResponse | undefined {
  if (error instanceof InvalidToken) {
    return oauth(401, 'invalid_token', error.message, {
      'WWW-Authenticate': `${BEARER_REALM}, error="invalid_token"`,
    });
  }
  if (error instanceof InsufficientScope) {
    return oauth(403, 'insufficient_scope', error.message, {
      'WWW-Authenticate': `${BEARER_REALM}, error="insufficient_scope", scope="${error.scope}"`,
    });
  }
  if (error instanceof StreamNotFound) return oauth(404, 'not_found', error.message);
  if (error instanceof StreamConflict) return oauth(409, 'conflict', error.message);
  if (error instanceof InvalidInput || error instanceof InvalidRequest) {
    return oauth(400, 'invalid_request', error.message);
  }
  return undefined;
}

/** The response for any error thrown while serving a route of the given profile. */
export function errorResponse(
  error: unknown,
  profile: ErrorProfile,
  retryAfterSeconds: number,
): ErrorResponse {
  if (error instanceof StoreUnavailable) {
    return oauth(503, 'temporarily_unavailable', undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
  if (error instanceof KeysUnavailable) {
    // [v3] Neither "inactive" nor "revoked" would be true while a trusted issuer's keys cannot be had.
    return oauth(503, 'temporarily_unavailable', error.message, {
      'Retry-After': String(error.retryAfterSeconds),
    });
  }
  // API Gateway's IAM authorizer answers exactly this; handlers invoked without an identity do the same.
  if (error instanceof Forbidden) return message(403, 'Forbidden');
  if (error instanceof MissingBearerCredential) {
    // RFC 6750 3.1: no error code or other information when no credential was sent; empty body.
    return { statusCode: 401, headers: { 'WWW-Authenticate': BEARER_REALM } };
  }
  if (profile === 'global-revocation' && (error instanceof InvalidRequest || error instanceof InvalidInput)) {
    // The draft's bare refusal (another format or issuer), but a field that is unknown, missing, of the
    // wrong type or out of range is named ([v3] strict admin input).
    const named = error instanceof UnknownField || error instanceof InvalidInput;
    return oauth(400, 'invalid_request', named ? error.message : undefined);
  }
  if (profile === 'ssf' && error instanceof DomainError) {
    const mapped = ssfError(error);
    if (mapped) return mapped;
  }
  if (error instanceof DomainError) {
    const mapped =
      profile === 'oauth' || profile === 'bearer' ? oauthError(error, profile) : adminError(error, profile);
    if (mapped) return mapped;
  }
  const exposed = exposedClientError(error);
  if (exposed) {
    return profile === 'oauth' || profile === 'bearer' || profile === 'ssf'
      ? oauth(exposed.statusCode, 'invalid_request', exposed.message)
      : message(exposed.statusCode, exposed.message);
  }
  return oauth(500, 'server_error');
}
