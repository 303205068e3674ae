/**
 * The one error model. Handlers and domain code throw these; the HTTP layer turns them into
 * responses. Anything else becomes a generic 500 whose message is never shown.
 */

/** Base of every error that maps to a deliberate HTTP response. */
export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  headers: Record<string, string> = {};
  /** The JSON body sent to the caller; undefined for an empty body. */
  abstract body(): Record<string, unknown> | undefined;
}

/** RFC 6749 section 5.2 error codes, plus RFC 6750 `invalid_token`. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'temporarily_unavailable'
  | 'server_error';

/** `{"error","error_description"}` errors of the OAuth endpoints. */
export class OAuthError extends HttpError {
  constructor(
    readonly statusCode: number,
    readonly error: OAuthErrorCode,
    readonly description?: string,
  ) {
    super(description ?? error);
  }
  body(): Record<string, unknown> {
    return this.description === undefined
      ? { error: this.error }
      : { error: this.error, error_description: this.description };
  }
}

export const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);

/** 401 invalid_client; the Basic challenge only when the client tried the Authorization header. */
export function invalidClient(
  usedAuthorizationHeader: boolean,
  description = 'client authentication failed',
) {
  const error = new OAuthError(401, 'invalid_client', description);
  if (usedAuthorizationHeader) error.headers['WWW-Authenticate'] = 'Basic realm="oauth"';
  return error;
}

/**
 * RFC 6750 3.1: a request that carries no bearer credential at all gets the challenge alone, "without
 * an error code or other error information", so the body is empty.
 */
export class BearerChallenge extends HttpError {
  readonly statusCode = 401;
  constructor() {
    super('bearer access token required');
    this.headers['WWW-Authenticate'] = 'Bearer realm="oauth"';
  }
  body(): undefined {
    return undefined;
  }
}

/** Admin API errors, shaped like API Gateway's own `{"message"}` bodies. */
export class AdminError extends HttpError {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
  body(): Record<string, unknown> {
    return { message: this.message };
  }
}

/** Missing IAM identity: the same body API Gateway's IAM authorizer sends. */
export const forbidden = () => new AdminError(403, 'Forbidden');

/** Apigee Edge management API error bodies (`DELETE /admin/oauth2/...`). */
export class ApigeeError extends HttpError {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  body(): Record<string, unknown> {
    return { code: this.code, message: this.message, contexts: [] };
  }
}

/** DynamoDB unavailable or throttling after the SDK's own retries. */
export class DependencyUnavailableError extends OAuthError {
  constructor(retryAfterSeconds: number, cause?: unknown) {
    super(503, 'temporarily_unavailable');
    this.cause = cause;
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** The response for anything that is not an HttpError: no message, no stack. */
export const serverError = () => new OAuthError(500, 'server_error');
