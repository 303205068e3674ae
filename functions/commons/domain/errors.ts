/**
 * The domain's errors: what went wrong, in the domain's words, with no status code, header or body.
 * The HTTP edge (`#commons/http/errors.ts`) is the one place that turns them into responses; a stream
 * consumer or an authorizer can call the domain and handle them its own way.
 */
import type { TokenKind } from './model.ts';

/** Base of every deliberate domain outcome that is not a success. */
export abstract class DomainError extends Error {
  /** Stable name of the outcome, for mapping and logs. */
  abstract readonly code: string;
}

/** How a client presented its credentials (RFC 6749 2.3); decides the challenge an edge may add. */
export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** The request is malformed (RFC 6749 5.2 `invalid_request`). */
export class InvalidRequest extends DomainError {
  readonly code = 'invalid_request';
}

/** A request body's field that the route does not know: a 400 naming it, on every admin route. */
export class UnknownField extends InvalidRequest {
  constructor(field: string) {
    super(`unknown field "${field.slice(0, 64)}"`);
  }
}

/** Client authentication failed (RFC 6749 5.2 `invalid_client`). */
export class InvalidClient extends DomainError {
  readonly code = 'invalid_client';
  constructor(
    description: string,
    /** The method the caller tried, when it tried one; `client_secret_basic` earns a Basic challenge. */
    readonly method?: AuthMethod,
  ) {
    super(description);
  }
}

/** The grant (refresh token) is invalid, expired, revoked or another client's (`invalid_grant`). */
export class InvalidGrant extends DomainError {
  readonly code = 'invalid_grant';
}

/** The requested scope is malformed or exceeds what is allowed (`invalid_scope`). */
export class InvalidScope extends DomainError {
  readonly code = 'invalid_scope';
}

/** The client may not use this grant type (`unauthorized_client`). */
export class UnauthorizedClient extends DomainError {
  readonly code = 'unauthorized_client';
}

/** The grant type is not one the service knows (`unsupported_grant_type`). */
export class UnsupportedGrantType extends DomainError {
  readonly code = 'unsupported_grant_type';
}

/** A client's token may not be acted on by this caller (RFC 7009 2.1, another client's token). */
export class NotTokenOwner extends DomainError {
  readonly code = 'not_token_owner';
  constructor() {
    super('client is not authorized to revoke the presented token');
  }
}

/** What a `NotFound` was looking for; edges word their 404s by it. */
export type Missing = 'client' | 'access_token' | 'refresh_token' | 'issuer';

/** The thing named does not exist (or no longer counts: expired, revoked). */
export class NotFound extends DomainError {
  readonly code = 'not_found';
  constructor(
    readonly what: Missing,
    description = `${what.replace('_', ' ')} not found`,
  ) {
    super(description);
  }
}

/** A token of the given kind that does not exist or no longer counts. */
export const tokenNotFound = (kind: TokenKind): NotFound =>
  new NotFound(kind === 'access' ? 'access_token' : 'refresh_token');

/** An input field breaks a rule; the message names the field. */
export class InvalidInput extends DomainError {
  readonly code = 'invalid_input';
  constructor(
    readonly field: string,
    rule: string,
  ) {
    super(`"${field}" ${rule}`);
  }
}

/** An idempotency key was used before, within its window, for a different request. */
export class IdempotencyKeyReused extends DomainError {
  readonly code = 'idempotency_key_reused';
  constructor() {
    super('Idempotency-Key was already used with a different request body');
  }
}

/** The caller proved no identity the operation accepts. */
export class Forbidden extends DomainError {
  readonly code = 'forbidden';
  constructor() {
    super('Forbidden');
  }
}

/**
 * Too many failed client authentications from one (client id, source IP) pair: further attempts are
 * refused, right credentials or not, until the pair's window passes.
 */
export class TooManyFailedAuthentications extends DomainError {
  readonly code = 'too_many_failed_authentications';
  constructor(
    /** Whole seconds until the window passes (at least 1). */
    readonly retryAfterSeconds: number,
  ) {
    super('too many failed client authentications');
  }
}

/** The store is down, throttling or not answering in time; retrying later may work. */
export class StoreUnavailable extends DomainError {
  readonly code = 'store_unavailable';
  constructor(cause?: unknown) {
    super('the token store is unavailable');
    this.cause = cause;
  }
}

/** [v3] What a 503 for a trusted issuer's keys says, so it is told apart from the store's. */
export const KEYS_UNAVAILABLE_MESSAGE = "the token issuer's signing keys are unavailable";

/**
 * [v3] A trusted issuer's signing keys cannot be had: no cached key set and the fetch of its `jwksUri`
 * failed (down, slow, too large, redirected). Neither "inactive" nor "revoked" would be true, so the
 * OAuth routes answer 503 and the authorizer denies.
 */
export class KeysUnavailable extends DomainError {
  readonly code = 'keys_unavailable';
  constructor(
    /** The issuer's id (never the token). */
    readonly issuerId: string,
    /** Whole seconds until the keys will be fetched again (at least 1). */
    readonly retryAfterSeconds: number,
    cause?: unknown,
  ) {
    super(KEYS_UNAVAILABLE_MESSAGE);
    this.cause = cause;
  }
}

/** [v3] The thing to create exists already (a trusted issuer registered twice: 409). */
export class AlreadyExists extends DomainError {
  readonly code = 'already_exists';
}
