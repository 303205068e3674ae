import { randomBytes } from 'node:crypto';
import { AdminError } from '../errors.ts';
import { type Client, GRANT_TYPES, type GrantType } from './model.ts';
import { hashSecret, mintSecret } from './secrets.ts';
import { parseScope } from './tokens.ts';

export const DEFAULT_ACCESS_TOKEN_TTL = 3600;
export const DEFAULT_REFRESH_TOKEN_TTL = 30 * 24 * 3600;
const MAX_TTL = 365 * 24 * 3600;
/** Longer ids were never issued; refusing them early also keeps them out of DynamoDB key limits. */
export const MAX_CLIENT_ID_LENGTH = 128;

const badField = (field: string, rule: string) => new AdminError(400, `"${field}" ${rule}`);

/** Parses a JSON request body into an object, or a 400 naming the problem. */
export function parseJsonObject(body: string | undefined): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    throw new AdminError(400, 'request body must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AdminError(400, 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function optionalTtl(input: Record<string, unknown>, field: string, fallback: number): number {
  const value = input[field];
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_TTL) {
    throw badField(field, `must be an integer number of seconds from 1 to ${MAX_TTL}`);
  }
  return value as number;
}

function stringArray(input: Record<string, unknown>, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw badField(field, 'must be an array of strings');
  }
  return value as string[];
}

/** Validates a client registration and returns the client to store and, for confidential ones, the secret. */
export function newClient(input: Record<string, unknown>, now: number): { client: Client; secret?: string } {
  const { name } = input;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
    throw badField('name', 'is required: a non-empty string of at most 200 characters');
  }
  if (input.public !== undefined && typeof input.public !== 'boolean')
    throw badField('public', 'must be a boolean');
  const isPublic = input.public === true;
  // A public client cannot authenticate, so it gets tokens through the admin API and refreshes them.
  const grantTypes = stringArray(input, 'grantTypes') ?? [isPublic ? 'refresh_token' : 'client_credentials'];
  const unknown = grantTypes.filter((g) => !GRANT_TYPES.includes(g as GrantType));
  if (unknown.length > 0 || grantTypes.length === 0) {
    throw badField('grantTypes', `must be a non-empty subset of ${GRANT_TYPES.join(', ')}`);
  }
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw badField('grantTypes', 'must not include client_credentials for a public client');
  }
  const scopes = stringArray(input, 'scopes') ?? [];
  try {
    if (scopes.length > 0) parseScope(scopes.join(' '));
    if (scopes.some((s) => s.includes(' ') || s === '')) throw new Error();
  } catch {
    throw badField('scopes', 'must hold scope tokens without spaces or quotes');
  }
  const secret = isPublic ? undefined : mintSecret();
  const client: Client = {
    clientId: randomBytes(16).toString('base64url'),
    name,
    public: isPublic,
    ...(secret !== undefined && { secretHash: hashSecret(secret) }),
    grantTypes: [...new Set(grantTypes as GrantType[])],
    scopes: [...new Set(scopes)],
    accessTokenTtl: optionalTtl(input, 'accessTokenTtl', DEFAULT_ACCESS_TOKEN_TTL),
    refreshTokenTtl: optionalTtl(input, 'refreshTokenTtl', DEFAULT_REFRESH_TOKEN_TTL),
    createdAt: now,
  };
  return secret === undefined ? { client } : { client, secret };
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
    createdAt: client.createdAt,
  };
}
