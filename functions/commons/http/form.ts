import { InvalidRequest } from '../domain/errors.ts';

const invalidRequest = (description: string) => new InvalidRequest(description);

export const MAX_BODY_BYTES = 16 * 1024;
/** [v3] 8 KiB (it was 4): JWTs of trusted issuers can be large. */
export const MAX_TOKEN_LENGTH = 8 * 1024;
/** RFC 6750 section 2.1 `b64token`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export type Params = ReadonlyMap<string, string>;

/**
 * Parses an `application/x-www-form-urlencoded` body by RFC 6749's rules: other media types are refused,
 * a parameter given twice is refused (3.1, 3.2), an empty value counts as absent, unknown names are kept
 * for the caller to ignore.
 */
export function parseForm(contentType: string | undefined, body: Buffer): Params {
  if (body.length > MAX_BODY_BYTES) throw invalidRequest(`request body exceeds ${MAX_BODY_BYTES} bytes`);
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw invalidRequest('request body must be application/x-www-form-urlencoded');
  }
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    if (value === '') continue;
    if (params.has(name)) throw invalidRequest(`parameter "${name}" must not be repeated`);
    params.set(name, value);
  }
  return params;
}

/** A required parameter. */
export function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined) throw invalidRequest(`missing required parameter "${name}"`);
  return value;
}

/** Checks a presented token's size and syntax (RFC 6750 `b64token`) before anything touches the table. */
export function checkTokenSyntax(token: string, name = 'token'): string {
  if (token.length > MAX_TOKEN_LENGTH) throw invalidRequest(`${name} exceeds ${MAX_TOKEN_LENGTH} characters`);
  if (!B64TOKEN.test(token)) throw invalidRequest(`${name} is malformed`);
  return token;
}

export type TokenHint = 'access_token' | 'refresh_token';

/**
 * RFC 7009 / 7662 `token_type_hint` (alias `token_type`, which some replaced APIs send), short or URN form.
 * An unknown value is ignored, as RFC 7009 2.2.1 allows the server to.
 */
export function tokenHint(params: Params): TokenHint | undefined {
  const raw = params.get('token_type_hint') ?? params.get('token_type');
  const value = raw?.replace(/^urn:ietf:params:oauth:token-type:/, '');
  return value === 'access_token' || value === 'refresh_token' ? value : undefined;
}

/** Whether a presented token passes `checkTokenSyntax`. */
export function isWellFormedToken(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && B64TOKEN.test(token);
}
