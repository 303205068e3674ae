/**
 * The admin API's JSON bodies: reading requests into the domain's inputs, field by field, with a 400 that
 * names the field; and the client as the admin API shows it. The limits here also keep every item far
 * below DynamoDB's 400 KB, so a stored client or token can never be refused by the table for its size.
 */
import type { ClientRegistration } from '../domain/clients.ts';
import { InvalidInput, InvalidRequest, UnknownField } from '../domain/errors.ts';
import { type Client, GRANT_TYPES, type GrantType } from '../domain/model.ts';
import { carriesToken } from '../redact.ts';

/** Tokens are never stored or logged in the clear: a stored free-text field may not hold one. */
function refuseToken(field: string, value: string): string {
  if (carriesToken(value)) throw new InvalidInput(field, 'must not contain a token');
  return value;
}

const MAX_TTL = 365 * 24 * 3600;
const MAX_ACCESS_TTL = 24 * 3600;
const MAX_REUSE_GRACE_SECONDS = 60;
export const MAX_NAME_LENGTH = 200;
export const MAX_SCOPES = 100;
export const MAX_SCOPE_LENGTH = 128;
export const MAX_SUBJECT_LENGTH = 256;
/** A scope parameter of the most scopes a client may hold, separated by spaces. */
const MAX_SCOPE_PARAMETER = MAX_SCOPES * (MAX_SCOPE_LENGTH + 1);
const MAX_CLIENT_ID_LENGTH = 128;

export type JsonObject = Record<string, unknown>;

/** Parses a JSON request body into an object, or a 400 saying what is wrong. */
export function parseJsonObject(body: string | undefined): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    throw new InvalidRequest('request body must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequest('request body must be a JSON object');
  }
  return value as JsonObject;
}

/**
 * Refuses a field the route does not know. A typo or another API's name (`grant_type`, `redirect_uris`)
 * silently ignored would answer 201 with defaults, the opposite of what was asked.
 */
export function knownFields(input: JsonObject, known: readonly string[]): void {
  const unknown = Object.keys(input).find((field) => !known.includes(field));
  if (unknown !== undefined) throw new UnknownField(unknown);
}

/** RFC 7591 client metadata names `POST /admin/clients` accepts in place of its own. */
const RFC7591_NAMES = {
  client_name: 'name',
  grant_types: 'grantTypes',
  scope: 'scopes',
  token_endpoint_auth_method: 'public',
} as const;
type Rfc7591Name = keyof typeof RFC7591_NAMES;
const REGISTRATION_FIELDS = [
  'name',
  'public',
  'grantTypes',
  'scopes',
  'accessTokenTtl',
  'refreshTokenTtl',
  'refreshTokenRotation',
  'refreshTokenReuseGraceSeconds',
] as const;

/** The RFC 7591 value in this service's form, or a 400 naming the RFC 7591 field. */
function fromRfc7591(field: Rfc7591Name, value: unknown): unknown {
  switch (field) {
    case 'scope':
      if (typeof value !== 'string')
        throw new InvalidInput(field, 'must be a string of space-separated scopes');
      return value.split(' ').filter((scope) => scope !== '');
    case 'token_endpoint_auth_method':
      if (value === 'none') return true;
      if (value === 'client_secret_basic' || value === 'client_secret_post') return false;
      throw new InvalidInput(field, 'must be none, client_secret_basic or client_secret_post');
    default:
      return value;
  }
}

/**
 * A registration body in this service's field names: RFC 7591 names mapped to them, one field given under
 * both names refused, any other field refused. Returns the body and, for errors, the name each field came in.
 */
function registrationFields(input: JsonObject): { body: JsonObject; given: Record<string, string> } {
  knownFields(input, [...REGISTRATION_FIELDS, ...Object.keys(RFC7591_NAMES)]);
  const body: JsonObject = {};
  const given: Record<string, string> = {};
  for (const [field, value] of Object.entries(input)) {
    const own = (RFC7591_NAMES as Record<string, string>)[field];
    if (own === undefined) {
      body[field] = value;
      continue;
    }
    if (input[own] !== undefined)
      throw new InvalidRequest(`"${own}" and "${field}" name the same field: give one`);
    body[own] = fromRfc7591(field as Rfc7591Name, value);
    given[own] = field;
  }
  return { body, given };
}

function optionalSeconds(input: JsonObject, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new InvalidInput(field, `must be an integer number of seconds from ${min} to ${max}`);
  }
  return value as number;
}

function optionalBoolean(input: JsonObject, field: string): boolean | undefined {
  const value = input[field];
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidInput(field, 'must be a boolean');
  return value as boolean | undefined;
}

function optionalStrings(input: JsonObject, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new InvalidInput(field, 'must be an array of strings');
  }
  return value as string[];
}

/**
 * An optional string field of 1 to `maxLength` characters. An empty string counts as absent where
 * `emptyIsAbsent` (as an empty parameter does on the OAuth routes).
 */
function optionalString(
  input: JsonObject,
  field: string,
  maxLength: number,
  emptyIsAbsent = false,
): string | undefined {
  const value = input[field];
  if (value === undefined || (emptyIsAbsent && value === '')) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > maxLength) {
    throw new InvalidInput(field, `must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

/** `POST /admin/clients`: the registration the body asks for. */
export function readRegistration(input: JsonObject): ClientRegistration {
  const { body, given } = registrationFields(input);
  try {
    return registration(body);
  } catch (error) {
    // A rule broken by a field that came in under its RFC 7591 name is reported under that name.
    const rfcName = error instanceof InvalidInput ? given[error.field] : undefined;
    if (!rfcName || !(error instanceof InvalidInput)) throw error;
    throw new InvalidInput(rfcName, error.message.slice(error.field.length + 3));
  }
}

function registration(input: JsonObject): ClientRegistration {
  const { name } = input;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
    throw new InvalidInput(
      'name',
      `is required: a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  const grantTypes = optionalStrings(input, 'grantTypes');
  if (
    grantTypes &&
    (grantTypes.length === 0 || !grantTypes.every((g) => GRANT_TYPES.includes(g as GrantType)))
  ) {
    throw new InvalidInput('grantTypes', `must be a non-empty subset of ${GRANT_TYPES.join(', ')}`);
  }
  const scopes = optionalStrings(input, 'scopes');
  if (scopes && (scopes.length > MAX_SCOPES || scopes.some((s) => s.length > MAX_SCOPE_LENGTH))) {
    throw new InvalidInput(
      'scopes',
      `must hold at most ${MAX_SCOPES} scopes of at most ${MAX_SCOPE_LENGTH} characters`,
    );
  }
  const isPublic = optionalBoolean(input, 'public');
  const accessTokenTtl = optionalSeconds(input, 'accessTokenTtl', 1, MAX_ACCESS_TTL);
  const refreshTokenTtl = optionalSeconds(input, 'refreshTokenTtl', 1, MAX_TTL);
  const refreshTokenRotation = optionalBoolean(input, 'refreshTokenRotation');
  const refreshTokenReuseGraceSeconds = optionalSeconds(
    input,
    'refreshTokenReuseGraceSeconds',
    0,
    MAX_REUSE_GRACE_SECONDS,
  );
  refuseToken('name', name);
  return {
    name,
    ...(isPublic !== undefined && { public: isPublic }),
    ...(grantTypes !== undefined && { grantTypes: grantTypes as GrantType[] }),
    ...(scopes !== undefined && { scopes }),
    ...(accessTokenTtl !== undefined && { accessTokenTtl }),
    ...(refreshTokenTtl !== undefined && { refreshTokenTtl }),
    ...(refreshTokenRotation !== undefined && { refreshTokenRotation }),
    ...(refreshTokenReuseGraceSeconds !== undefined && { refreshTokenReuseGraceSeconds }),
  };
}

/** `POST /admin/tokens`: what to mint, for which client. */
export interface MintRequest {
  readonly clientId: string;
  readonly subject: string | undefined;
  /** Absent (or empty in the body): the client's default scopes. */
  readonly scope: string | undefined;
  readonly refreshToken: boolean;
}

export function readMintRequest(input: JsonObject): MintRequest {
  knownFields(input, ['clientId', 'subject', 'scope', 'refreshToken']);
  const clientId = optionalString(input, 'clientId', MAX_CLIENT_ID_LENGTH);
  if (clientId === undefined) throw new InvalidInput('clientId', 'is required');
  return {
    clientId,
    subject: optionalSubject(input),
    scope: optionalString(input, 'scope', MAX_SCOPE_PARAMETER, true),
    refreshToken: optionalBoolean(input, 'refreshToken') === true,
  };
}

function optionalSubject(input: JsonObject): string | undefined {
  const subject = optionalString(input, 'subject', MAX_SUBJECT_LENGTH);
  return subject === undefined ? undefined : refuseToken('subject', subject);
}

/** A subject named in an admin path; longer than any token's subject is an error, not a no-op. */
export function readSubject(subject: string | undefined): string {
  if (subject === undefined || subject === '' || subject.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidInput(
      'subject',
      `must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`,
    );
  }
  return refuseToken('subject', subject);
}

/**
 * draft-parecki-oauth-global-token-revocation: the subject of `{"sub_id": ...}`, an RFC 9493 subject
 * identifier of format `opaque` (`id`) or `iss_sub`; the caller decides what its `iss` means (the service's
 * own, or a registered trusted issuer's). Another format is the draft's bare `InvalidRequest`; a missing
 * field, a field of the wrong type or out of range, or an unknown field is named ([v3] strict admin input:
 * `InvalidInput` / `UnknownField`).
 */
export function readGlobalRevocation(input: JsonObject): { subject: string; iss?: string } {
  knownFields(input, ['sub_id']);
  const subId = input.sub_id;
  if (subId === undefined) throw new InvalidInput('sub_id', 'is required');
  if (typeof subId !== 'object' || subId === null || Array.isArray(subId)) {
    throw new InvalidInput('sub_id', 'must be an RFC 9493 subject identifier (a JSON object)');
  }
  const { format, iss } = subId as Record<string, unknown>;
  if (format !== 'opaque' && format !== 'iss_sub') {
    throw new InvalidRequest(
      'sub_id must be of format opaque, or iss_sub with this issuer or a registered one',
    );
  }
  knownFields(subId as JsonObject, format === 'opaque' ? ['format', 'id'] : ['format', 'iss', 'sub']);
  const field = format === 'opaque' ? 'id' : 'sub';
  const subject = (subId as Record<string, unknown>)[field];
  if (typeof subject !== 'string' || subject === '' || subject.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidInput(field, `must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`);
  }
  if (
    format === 'iss_sub' &&
    (typeof iss !== 'string' || iss === '' || iss.length > MAX_GLOBAL_ISSUER_LENGTH)
  ) {
    throw new InvalidInput(
      'iss',
      `must be a non-empty string of at most ${MAX_GLOBAL_ISSUER_LENGTH} characters`,
    );
  }
  if (carriesToken(subject)) throw new InvalidInput(field, 'must not contain a token');
  return { subject, ...(format === 'iss_sub' && { iss: iss as string }) };
}

/** Longer than any issuer identifier the registry takes (issuer-json.ts). */
const MAX_GLOBAL_ISSUER_LENGTH = 1024;

/** `GET /admin/clients`: page size bounds and default. */
export const LIST_LIMIT = { min: 1, max: 100, default: 50 } as const;
/** Longer than any cursor the store hands out; refused before it reaches the store. */
const MAX_CURSOR_LENGTH = 512;

/**
 * `GET /admin/clients?limit=N&cursor=C`: the page asked for, checked parameter by parameter like a JSON
 * body: an unknown or repeated parameter, a `limit` that is not an integer from 1 to 100, or an empty or
 * overlong cursor is a 400 naming it. Whether a cursor is one the API handed out is the store's to say.
 */
export function readClientListQuery(rawQueryString: string): { limit: number; cursor?: string } {
  const params = new URLSearchParams(rawQueryString);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (name !== 'limit' && name !== 'cursor')
      throw new InvalidInput(name.slice(0, 64), 'is not a parameter of this route');
    if (seen.has(name)) throw new InvalidInput(name, 'must be given at most once');
    seen.add(name);
  }
  const rawLimit = params.get('limit');
  const limit =
    rawLimit === null ? LIST_LIMIT.default : /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
  if (!(limit >= LIST_LIMIT.min && limit <= LIST_LIMIT.max)) {
    throw new InvalidInput('limit', `must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}`);
  }
  const cursor = params.get('cursor');
  if (cursor !== null && (cursor === '' || cursor.length > MAX_CURSOR_LENGTH)) {
    throw new InvalidInput('cursor', 'must be the nextCursor of a previous page');
  }
  return { limit, ...(cursor !== null && { cursor }) };
}

/** The client as the admin API shows it: never its secret or secret hash. */
export function clientView(client: Client) {
  return {
    clientId: client.clientId,
    name: client.name,
    public: client.public,
    grantTypes: client.grantTypes,
    scopes: client.scopes,
    accessTokenTtl: client.accessTokenTtl,
    refreshTokenTtl: client.refreshTokenTtl,
    refreshTokenRotation: client.refreshTokenRotation,
    refreshTokenReuseGraceSeconds: client.refreshTokenReuseGraceSeconds,
    createdAt: client.createdAt,
  };
}

/**
 * `POST /admin/clients/{clientId}/secret`: the old secret's grace in seconds (default 0). An empty body
 * means the defaults, so a bare signed POST rotates.
 */
export function readSecretRotation(body: string): { previousSecretGraceSeconds: number } {
  const input = body.trim() === '' ? {} : parseJsonObject(body);
  knownFields(input, ['previousSecretGraceSeconds']);
  const { previousSecretGraceSeconds: given } = input;
  const grace = given === undefined ? 0 : given;
  if (!Number.isInteger(grace)) {
    throw new InvalidInput('previousSecretGraceSeconds', 'must be an integer number of seconds');
  }
  return { previousSecretGraceSeconds: grace as number };
}
