/**
 * [v3] The admin API's JSON for trusted issuers: registrations, revocations and pages read field by field
 * (an unknown field, a wrong type or a value out of range is a 400 naming the field, and nothing is
 * written), and the issuer as the admin API shows it.
 */
import { InvalidInput, InvalidRequest } from '../domain/errors.ts';
import {
  ISSUER_ALGORITHMS,
  type Issuer,
  type IssuerAlgorithm,
  type IssuerRegistration,
  type IssuerSsf,
  MAX_LIFETIME_SECONDS,
  MIN_LIFETIME_SECONDS,
} from '../domain/issuers.ts';
import type { AdminTrustedRevocation } from '../domain/trusted-admin.ts';
import { carriesToken } from '../redact.ts';
import { fetchableJwksUri, JWKS_RULES } from '../trusted/jwks-rules.ts';
import { type JsonObject, knownFields, MAX_NAME_LENGTH, MAX_SUBJECT_LENGTH } from './admin-json.ts';
import { MAX_TOKEN_LENGTH } from './form.ts';

const MAX_ISSUER_LENGTH = 1024;
const MAX_URL_LENGTH = 2048;
const MAX_AUDIENCES = 20;
const MAX_AUDIENCE_LENGTH = 512;
const MAX_CLAIMS = 10;
const MAX_CLAIM_LENGTH = 128;
const MAX_KEYS = 100;
/** A token id or family value given by hand (a jti, a session id). */
const MAX_ID_LENGTH = 1024;
/** The longest client id of another issuer named in a path. */
const MAX_FOREIGN_CLIENT_ID_LENGTH = 256;
const MAX_SSF_METADATA_BYTES = 16 * 1024;
/** JWK members that only a private or symmetric key has: a JWK Set to verify with holds public keys only. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const REGISTRATION_FIELDS = [
  'issuer',
  'jwksUri',
  'jwks',
  'audiences',
  'clientIdClaims',
  'subjectClaim',
  'familyClaim',
  'familyLifetimeSeconds',
  'algorithms',
  'maxTokenLifetimeSeconds',
  'acceptIdTokens',
  'name',
  'ssf',
] as const;

function requiredString(input: JsonObject, field: string, maxLength: number): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '' || value.length > maxLength) {
    throw new InvalidInput(field, `is required: a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

function optionalString(input: JsonObject, field: string, maxLength: number): string | undefined {
  return input[field] === undefined ? undefined : requiredString(input, field, maxLength);
}

function optionalStrings(
  input: JsonObject,
  field: string,
  limits: { max: number; maxLength: number },
): string[] | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > limits.max ||
    !value.every((v) => typeof v === 'string' && v !== '' && v.length <= limits.maxLength) ||
    new Set(value).size !== value.length
  ) {
    throw new InvalidInput(
      field,
      `must be an array of 1 to ${limits.max} distinct non-empty strings of at most ${limits.maxLength} characters`,
    );
  }
  return value as string[];
}

function optionalSeconds(input: JsonObject, field: string): number | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (
    !Number.isInteger(value) ||
    (value as number) < MIN_LIFETIME_SECONDS ||
    (value as number) > MAX_LIFETIME_SECONDS
  ) {
    throw new InvalidInput(
      field,
      `must be an integer number of seconds from ${MIN_LIFETIME_SECONDS} to ${MAX_LIFETIME_SECONDS}`,
    );
  }
  return value as number;
}

function optionalBoolean(input: JsonObject, field: string): boolean | undefined {
  const value = input[field];
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidInput(field, 'must be a boolean');
  return value as boolean | undefined;
}

function url(field: string, value: unknown, allowLoopbackHttp: boolean): string {
  if (
    typeof value !== 'string' ||
    value.length > MAX_URL_LENGTH ||
    !fetchableJwksUri(value, allowLoopbackHttp)
  ) {
    throw new InvalidInput(
      field,
      allowLoopbackHttp
        ? 'must be an https URL (plain http only to localhost, 127.0.0.1 or [::1])'
        : 'must be an https URL',
    );
  }
  return value;
}

/** A JWK Set of public signing keys, as given at registration. */
function jwkSet(value: unknown): { keys: Record<string, unknown>[] } {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Array.isArray(keys) ||
    keys.length === 0 ||
    keys.length > MAX_KEYS ||
    !keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key))
  ) {
    throw new InvalidInput('jwks', `must be a JWK Set: {"keys": [1 to ${MAX_KEYS} JWKs]}`);
  }
  for (const key of keys as Record<string, unknown>[]) {
    if (!['RSA', 'EC', 'OKP'].includes(key.kty as string)) {
      throw new InvalidInput('jwks', 'must hold RSA, EC or OKP public keys only');
    }
    if (PRIVATE_MEMBERS.some((member) => key[member] !== undefined)) {
      throw new InvalidInput('jwks', 'must hold public keys only (a private key member was given)');
    }
  }
  if (Buffer.byteLength(JSON.stringify(value)) > JWKS_RULES.maxBytes) {
    throw new InvalidInput('jwks', `must be at most ${JWKS_RULES.maxBytes} bytes`);
  }
  return value as { keys: Record<string, unknown>[] };
}

function ssfSettings(value: unknown, allowLoopbackHttp: boolean): IssuerSsf {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInput('ssf', 'must be an object: {"configurationUrl"} or {"metadata"}');
  }
  const ssf = value as JsonObject;
  knownFields(ssf, ['configurationUrl', 'metadata']);
  if ((ssf.configurationUrl === undefined) === (ssf.metadata === undefined)) {
    throw new InvalidInput('ssf', 'must give exactly one of "configurationUrl" and "metadata"');
  }
  if (ssf.configurationUrl !== undefined) {
    return { configurationUrl: url('ssf.configurationUrl', ssf.configurationUrl, allowLoopbackHttp) };
  }
  const { metadata } = ssf;
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    Array.isArray(metadata) ||
    Buffer.byteLength(JSON.stringify(metadata)) > MAX_SSF_METADATA_BYTES
  ) {
    throw new InvalidInput('ssf.metadata', `must be an object of at most ${MAX_SSF_METADATA_BYTES} bytes`);
  }
  return { metadata: metadata as Record<string, unknown> };
}

/**
 * `POST /admin/issuers` (and the construct's `trustedIssuers`): the registration the body asks for.
 * `allowLoopbackHttp`: plain http JWK Set URLs to loopback hosts, for the local server only.
 */
export function readIssuerRegistration(input: JsonObject, allowLoopbackHttp: boolean): IssuerRegistration {
  knownFields(input, REGISTRATION_FIELDS);
  const issuer = requiredString(input, 'issuer', MAX_ISSUER_LENGTH);
  if (carriesToken(issuer)) throw new InvalidInput('issuer', 'must not contain a token');
  if ((input.jwksUri === undefined) === (input.jwks === undefined)) {
    throw new InvalidInput('jwksUri', 'or "jwks": exactly one of them is required');
  }
  const jwksUri = input.jwksUri === undefined ? undefined : url('jwksUri', input.jwksUri, allowLoopbackHttp);
  const jwks = input.jwks === undefined ? undefined : jwkSet(input.jwks);
  const audiences = optionalStrings(input, 'audiences', {
    max: MAX_AUDIENCES,
    maxLength: MAX_AUDIENCE_LENGTH,
  });
  const claims = { max: MAX_CLAIMS, maxLength: MAX_CLAIM_LENGTH };
  const clientIdClaims = optionalStrings(input, 'clientIdClaims', claims);
  const subjectClaim = optionalString(input, 'subjectClaim', MAX_CLAIM_LENGTH);
  const familyClaim = optionalString(input, 'familyClaim', MAX_CLAIM_LENGTH);
  const algorithms = optionalStrings(input, 'algorithms', { max: ISSUER_ALGORITHMS.length, maxLength: 8 });
  if (algorithms && !algorithms.every((a) => ISSUER_ALGORITHMS.includes(a as IssuerAlgorithm))) {
    throw new InvalidInput('algorithms', `must be a non-empty subset of ${ISSUER_ALGORITHMS.join(', ')}`);
  }
  const name = optionalString(input, 'name', MAX_NAME_LENGTH);
  if (name !== undefined && carriesToken(name)) throw new InvalidInput('name', 'must not contain a token');
  const familyLifetimeSeconds = optionalSeconds(input, 'familyLifetimeSeconds');
  const maxTokenLifetimeSeconds = optionalSeconds(input, 'maxTokenLifetimeSeconds');
  const acceptIdTokens = optionalBoolean(input, 'acceptIdTokens');
  const ssf = input.ssf === undefined ? undefined : ssfSettings(input.ssf, allowLoopbackHttp);
  return {
    issuer,
    ...(jwksUri !== undefined && { jwksUri }),
    ...(jwks !== undefined && { jwks: jwks as IssuerRegistration['jwks'] & object }),
    ...(audiences !== undefined && { audiences }),
    ...(clientIdClaims !== undefined && { clientIdClaims }),
    ...(subjectClaim !== undefined && { subjectClaim }),
    ...(familyClaim !== undefined && { familyClaim }),
    ...(familyLifetimeSeconds !== undefined && { familyLifetimeSeconds }),
    ...(algorithms !== undefined && { algorithms: algorithms as IssuerAlgorithm[] }),
    ...(maxTokenLifetimeSeconds !== undefined && { maxTokenLifetimeSeconds }),
    ...(acceptIdTokens !== undefined && { acceptIdTokens }),
    ...(name !== undefined && { name }),
    ...(ssf !== undefined && { ssf }),
  };
}

/** The issuer as the admin API shows it: every setting, its defaults filled in. */
export function issuerView(issuer: Issuer) {
  return {
    issuerId: issuer.issuerId,
    issuer: issuer.issuer,
    ...(issuer.jwksUri !== undefined && { jwksUri: issuer.jwksUri }),
    ...(issuer.jwks !== undefined && { jwks: issuer.jwks }),
    ...(issuer.audiences !== undefined && { audiences: issuer.audiences }),
    clientIdClaims: issuer.clientIdClaims,
    subjectClaim: issuer.subjectClaim,
    ...(issuer.familyClaim !== undefined && { familyClaim: issuer.familyClaim }),
    familyLifetimeSeconds: issuer.familyLifetimeSeconds,
    algorithms: issuer.algorithms,
    maxTokenLifetimeSeconds: issuer.maxTokenLifetimeSeconds,
    acceptIdTokens: issuer.acceptIdTokens,
    ...(issuer.name !== undefined && { name: issuer.name }),
    ...(issuer.ssf !== undefined && { ssf: issuer.ssf }),
    createdAt: issuer.createdAt,
  };
}

/**
 * `POST /admin/issuers/{issuerId}/revocations`: `{"jti","expiresAt"}` (a token id and its `exp`, epoch
 * seconds), `{"family"}` or `{"token"}`: exactly one of the three.
 */
export function readTrustedRevocation(input: JsonObject): AdminTrustedRevocation {
  knownFields(input, ['jti', 'expiresAt', 'family', 'token']);
  const given = ['jti', 'family', 'token'].filter((field) => input[field] !== undefined);
  if (given.length !== 1) {
    throw new InvalidRequest('give exactly one of {"jti","expiresAt"}, {"family"} and {"token"}');
  }
  if (input.jti !== undefined) {
    const jti = requiredString(input, 'jti', MAX_ID_LENGTH);
    const { expiresAt } = input;
    if (!Number.isSafeInteger(expiresAt) || (expiresAt as number) <= 0) {
      throw new InvalidInput('expiresAt', "is required with jti: the token's exp, in epoch seconds");
    }
    return { jti, expiresAt: expiresAt as number };
  }
  if (input.expiresAt !== undefined) throw new InvalidInput('expiresAt', 'goes with "jti" only');
  if (input.family !== undefined) return { family: requiredString(input, 'family', MAX_ID_LENGTH) };
  return { token: requiredString(input, 'token', MAX_TOKEN_LENGTH) };
}

/** An issuer id named in a path: the 22 characters `issuerIdOf` makes, else not found without a read. */
export function isIssuerId(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{22}$/.test(value);
}

/** Another issuer's client id named in a path. */
export function readForeignClientId(value: string | undefined): string {
  if (value === undefined || value === '' || value.length > MAX_FOREIGN_CLIENT_ID_LENGTH) {
    throw new InvalidInput(
      'clientId',
      `must be a non-empty string of at most ${MAX_FOREIGN_CLIENT_ID_LENGTH} characters`,
    );
  }
  if (carriesToken(value)) throw new InvalidInput('clientId', 'must not contain a token');
  return value;
}

/** A subject of another issuer named in a path. */
export function readForeignSubject(value: string | undefined): string {
  if (value === undefined || value === '' || value.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidInput(
      'subject',
      `must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`,
    );
  }
  if (carriesToken(value)) throw new InvalidInput('subject', 'must not contain a token');
  return value;
}

/** `?limit=N&cursor=C` of a paged list: `limit` 1-100 (default 50), `cursor` opaque; nothing else. */
export function readPage(query: Readonly<Record<string, string | undefined>>): {
  limit: number;
  cursor?: string;
} {
  knownFields(query as JsonObject, ['limit', 'cursor']);
  const { limit: rawLimit, cursor } = query;
  const limit = rawLimit === undefined ? 50 : /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
  if (!(limit >= 1 && limit <= 100)) throw new InvalidInput('limit', 'must be an integer from 1 to 100');
  if (cursor !== undefined && (cursor === '' || cursor.length > 512)) {
    throw new InvalidInput('cursor', 'is not a cursor this API handed out');
  }
  return { limit, ...(cursor !== undefined && { cursor }) };
}
