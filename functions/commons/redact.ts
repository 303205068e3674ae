import { createHash } from 'node:crypto';

/**
 * What of a caller's input may reach a log line. A log is read by more people, and kept longer, than any
 * table: a caller who pastes a token or a secret into the wrong field (a live token as `client_id`, a
 * secret in a path) must not have it written down. So a value the caller supplies is logged only when it
 * has the syntax of what it claims to be, and otherwise as a short hash that still lets an operator tell
 * repeated values apart; anything shaped like a credential is never logged whole, whatever field it came in.
 */

/** The syntax of the client ids this service issues: 128 random bits, base64url. */
const CLIENT_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Shapes of credentials: the service's own token prefixes, a JWS or JWT (base64url JSON header), and any
 * long run of token characters (secrets and random parts are 43 characters or more).
 */
const CREDENTIAL_SHAPE = /rvk_[a-z]{2}_|eyJ[A-Za-z0-9_-]{4,}|[A-Za-z0-9\-._~+/]{32,}/;

/** A short, non-reversible handle of a value that may not be logged as it is. */
export function fingerprint(value: string): string {
  return `#${createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 12)}`;
}

/** A claimed client id as it may be logged: itself when it has a client id's syntax, else its fingerprint. */
export function loggableClientId(value: string): string {
  return CLIENT_ID.test(value) ? value : fingerprint(value);
}

/** The service's token prefixes, or a JWS/JWT compact serialization (three base64url parts). */
const TOKEN = /rvk_(at|rt)_|(^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;

/**
 * Whether a value carries a token: never a name or a subject, and so refused where a caller's value would
 * be stored and logged as one. (A long random string is not refused: pairwise subject identifiers are
 * exactly that.)
 */
export function carriesToken(value: string): boolean {
  return TOKEN.test(value);
}

/** Whether a value has the shape of a token or secret. */
export function looksLikeCredential(value: string): boolean {
  return CREDENTIAL_SHAPE.test(value);
}

/**
 * A path (or route) as it may be logged: the query string dropped, and every segment shaped like a
 * credential (a token in `DELETE /admin/oauth2/accesstokens/{token}`, a subject that is really a secret)
 * replaced by its fingerprint.
 */
export function loggablePath(path: string): string {
  const [withoutQuery = ''] = path.split('?', 1);
  return withoutQuery
    .split('/')
    .map((segment) =>
      looksLikeCredential(segment) || looksLikeCredential(safeDecode(segment))
        ? fingerprint(segment)
        : segment,
    )
    .join('/');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
