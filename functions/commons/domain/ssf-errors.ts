/** The SSF management API's outcomes that are not successes (mapped by http/errors.ts's `ssf` profile). */
import { DomainError } from './errors.ts';

/** The bearer token is unknown, inactive, or no `client_credentials` access token (RFC 6750 3.1). */
export class InvalidToken extends DomainError {
  readonly code = 'invalid_token';
  constructor() {
    super('the access token is not active');
  }
}

/** The token is active but lacks the scope the call needs (RFC 6750 3.1). */
export class InsufficientScope extends DomainError {
  readonly code = 'insufficient_scope';
  constructor(readonly scope: string) {
    super(`the access token needs scope ${scope}`);
  }
}

/** No such stream for this receiver (another receiver's stream is not found either). */
export class StreamNotFound extends DomainError {
  readonly code = 'stream_not_found';
  constructor() {
    super('stream not found');
  }
}

/** The receiver has as many streams as it may, or the stream changed under a concurrent update. */
export class StreamConflict extends DomainError {
  readonly code = 'stream_conflict';
}
