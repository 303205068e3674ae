/**
 * [v3] The admin CLI's commands for trusted issuers: one per admin route of the registry and of its
 * revocations (`issuers ...`). An issuer is named by its id or by its issuer URL (the id is derived from
 * it), so an operator never has to look the id up.
 */
import { readFileSync } from 'node:fs';
import { issuerIdOf } from '#commons/domain/issuers.ts';
import { type AdminCall, type CommandSpec, type OptionValues, UsageError } from './commands.ts';

const segment = (value: string) => encodeURIComponent(value);

/** An issuer id (22 base64url characters) as given, else the id of the issuer URL given. */
export function issuerIdArg(value: string | undefined): string {
  if (value === undefined || value === '')
    throw new UsageError('name the issuer by its id or its issuer URL');
  return /^[A-Za-z0-9_-]{22}$/.test(value) ? value : issuerIdOf(value);
}

const list = (value: string | boolean | undefined): string[] | undefined =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : undefined;

function whole(values: OptionValues, option: string): number | undefined {
  const value = values[option];
  if (typeof value !== 'string') return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${option} must be a whole number`);
  return Number(value);
}

const text = (values: OptionValues, option: string) =>
  typeof values[option] === 'string' ? (values[option] as string) : undefined;

/** A Cognito user pool id names its region: `us-east-1_AbCdEf123`. */
const COGNITO_POOL = /^([a-z]{2}(?:-[a-z]+)+-\d)_[A-Za-z0-9]+$/;

/**
 * The registration of an Amazon Cognito user pool, as the construct's `cognitoUserPoolIssuer` makes it:
 * its issuer and JWK Set URLs, its access tokens' `client_id`, and `origin_jti` as the family, shared by
 * every access token refreshed from one sign-in (revoking one revokes the session's).
 */
export function cognitoRegistration(poolId: string): Record<string, unknown> {
  const region = COGNITO_POOL.exec(poolId)?.[1];
  if (!region) throw new UsageError('--cognito-user-pool must be a user pool id such as us-east-1_AbCdEf123');
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    familyClaim: 'origin_jti',
    clientIdClaims: ['client_id'],
  };
}

function registration(values: OptionValues): Record<string, unknown> {
  const pool = text(values, 'cognito-user-pool');
  const base = pool === undefined ? {} : cognitoRegistration(pool);
  const issuer = text(values, 'issuer') ?? (base.issuer as string | undefined);
  if (issuer === undefined) throw new UsageError('issuers register needs --issuer or --cognito-user-pool');
  const jwksFile = text(values, 'jwks-file');
  let jwks: unknown;
  if (jwksFile !== undefined) {
    try {
      jwks = JSON.parse(readFileSync(jwksFile, 'utf8'));
    } catch (error) {
      throw new UsageError(`--jwks-file: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const jwksUri =
    text(values, 'jwks-uri') ?? (jwks === undefined ? (base.jwksUri as string | undefined) : undefined);
  const fields: Record<string, unknown> = {
    issuer,
    ...(jwksUri !== undefined && { jwksUri }),
    ...(jwks !== undefined && { jwks }),
    audiences: list(values.audiences),
    clientIdClaims: list(values['client-id-claims']) ?? base.clientIdClaims,
    subjectClaim: text(values, 'subject-claim'),
    familyClaim: text(values, 'family-claim') ?? base.familyClaim,
    familyLifetimeSeconds: whole(values, 'family-lifetime'),
    algorithms: list(values.algorithms),
    maxTokenLifetimeSeconds: whole(values, 'max-token-lifetime'),
    ...(values['accept-id-tokens'] === true && { acceptIdTokens: true }),
    name: text(values, 'name'),
  };
  const ssf = text(values, 'ssf-configuration-url');
  if (ssf !== undefined) fields.ssf = { configurationUrl: ssf };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

const ISSUER_ARG = 'ISSUER';

export const ISSUER_COMMANDS: readonly CommandSpec[] = [
  {
    group: 'issuers',
    name: 'register',
    summary: 'register a trusted issuer (Cognito, Auth0, Okta, Keycloak...) whose JWTs become revocable',
    description:
      "Registers a trusted issuer (POST /admin/issuers): from then on its JWT access tokens can be revoked, introspected and enforced by the authorizer. Give --issuer (the exact iss of its tokens) and --jwks-uri or --jwks-file, or --cognito-user-pool, which fills in a user pool's issuer and JWK Set URLs, client_id and origin_jti as the family (each can still be overridden). Prints the issuer with its defaults; the same issuer twice is 409.",
    args: [],
    options: {
      issuer: { type: 'string', value: 'URL', description: 'the exact iss of its tokens' },
      'cognito-user-pool': {
        type: 'string',
        value: 'POOL_ID',
        description:
          'an Amazon Cognito user pool id (us-east-1_AbCdEf123): its issuer, JWK Set URL, client_id, origin_jti',
      },
      'jwks-uri': { type: 'string', value: 'URL', description: 'its JWK Set URL (https)' },
      'jwks-file': {
        type: 'string',
        value: 'FILE',
        description: 'a file holding its JWK Set, for an issuer that cannot be reached',
      },
      audiences: {
        type: 'string',
        value: 'LIST',
        description: "comma-separated: a token's aud must contain one of them",
      },
      'client-id-claims': {
        type: 'string',
        value: 'LIST',
        description:
          'comma-separated claims naming the client, first present wins (default client_id,azp,cid)',
      },
      'subject-claim': {
        type: 'string',
        value: 'CLAIM',
        description: 'the claim naming the subject (default sub)',
      },
      'family-claim': {
        type: 'string',
        value: 'CLAIM',
        description:
          'the claim a sign-in session shares (Cognito origin_jti, Keycloak sid): revoking one token revokes them all',
      },
      'family-lifetime': {
        type: 'string',
        value: 'SECONDS',
        description: 'how long a revoked family stays revoked (default 2592000, 30 days)',
      },
      algorithms: {
        type: 'string',
        value: 'LIST',
        description: 'comma-separated signature algorithms accepted (default all of RS*, PS*, ES*, EdDSA)',
      },
      'max-token-lifetime': {
        type: 'string',
        value: 'SECONDS',
        description: 'a token living longer (exp - iat) is refused (default 86400)',
      },
      'accept-id-tokens': {
        type: 'boolean',
        description: 'accept ID tokens as bearer tokens (default: refuse them)',
      },
      name: { type: 'string', value: 'NAME', description: 'a display name' },
      'ssf-configuration-url': {
        type: 'string',
        value: 'URL',
        description: 'its Shared Signals configuration URL, when it also transmits security events',
      },
      'idempotency-key': {
        type: 'string',
        value: 'KEY',
        description:
          'Idempotency-Key header: the same command again within 24 hours prints the same issuer (200)',
      },
    },
    examples: [
      'issuers register --cognito-user-pool us-east-1_AbCdEf123 --name customers',
      'issuers register --issuer https://sso.example.com/realms/main --jwks-uri https://sso.example.com/realms/main/protocol/openid-connect/certs --family-claim sid',
    ],
    request(values): AdminCall {
      const key = text(values, 'idempotency-key');
      return {
        method: 'POST',
        path: 'admin/issuers',
        body: registration(values),
        ...(key !== undefined && { headers: { 'Idempotency-Key': key } }),
      };
    },
  },
  {
    group: 'issuers',
    name: 'list',
    summary: 'list the registered issuers, a page at a time',
    description:
      'Lists registered issuers (GET /admin/issuers). Prints {"issuers":[...],"nextCursor"?}; pass nextCursor as --cursor for the next page.',
    args: [],
    options: {
      limit: { type: 'string', value: 'N', description: 'issuers per page, 1 to 100 (default 50)' },
      cursor: { type: 'string', value: 'CURSOR', description: "the previous page's nextCursor" },
    },
    examples: ['issuers list', 'issuers list --limit 10 --cursor "$NEXT"'],
    request(values): AdminCall {
      const query = new URLSearchParams();
      const limit = text(values, 'limit');
      const cursor = text(values, 'cursor');
      if (limit !== undefined) query.set('limit', limit);
      if (cursor !== undefined) query.set('cursor', cursor);
      const search = query.toString();
      return { method: 'GET', path: `admin/issuers${search === '' ? '' : `?${search}`}` };
    },
  },
  {
    group: 'issuers',
    name: 'get',
    summary: 'show a registered issuer',
    description:
      'Shows a registered issuer (GET /admin/issuers/{issuerId}), named by its id or its issuer URL.',
    args: [ISSUER_ARG],
    options: {},
    examples: ['issuers get https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123'],
    request: (_values, [issuer]) => ({ method: 'GET', path: `admin/issuers/${issuerIdArg(issuer)}` }),
  },
  {
    group: 'issuers',
    name: 'delete',
    summary: 'delete an issuer: none of its tokens is accepted any more',
    description:
      'Deletes a trusted issuer (DELETE /admin/issuers/{issuerId}): none of its tokens is accepted anywhere once this returns. Prints {"issuerId"}.',
    args: [ISSUER_ARG],
    options: {},
    examples: ['issuers delete qE3s0mZl8cVh2nB5xT1wAg'],
    request: (_values, [issuer]) => ({ method: 'DELETE', path: `admin/issuers/${issuerIdArg(issuer)}` }),
  },
  {
    group: 'issuers',
    name: 'revoke',
    summary: "revoke one of an issuer's tokens by its id and exp, or a family",
    description:
      "Revokes one token of the issuer by its id (--jti, with --expires-at, the token's exp in epoch seconds: what a log line shows), or every token of one family (--family: a Cognito origin_jti, a Keycloak sid). POST /admin/issuers/{issuerId}/revocations; prints what was revoked.",
    args: [ISSUER_ARG],
    options: {
      jti: {
        type: 'string',
        value: 'ID',
        description: "the token's id (its jti, or the hash of its signing input)",
      },
      'expires-at': {
        type: 'string',
        value: 'EPOCH',
        description: "the token's exp, epoch seconds (with --jti)",
      },
      family: { type: 'string', value: 'VALUE', description: "the value of the issuer's family claim" },
    },
    examples: [
      'issuers revoke https://sso.example.com/realms/main --jti 7d9c2f4e-3b1a-4c8e-9f6d-2a5b8c1e0f3d --expires-at 1795244595',
      'issuers revoke qE3s0mZl8cVh2nB5xT1wAg --family 5b1e7c9a-8d2f-4e6b-a3c1-0f9d8e7c6b5a',
    ],
    request(values, [issuer]): AdminCall {
      const jti = text(values, 'jti');
      const family = text(values, 'family');
      if ((jti === undefined) === (family === undefined))
        throw new UsageError('issuers revoke needs --jti or --family');
      const expiresAt = whole(values, 'expires-at');
      if (jti !== undefined && expiresAt === undefined) throw new UsageError('--jti needs --expires-at');
      return {
        method: 'POST',
        path: `admin/issuers/${issuerIdArg(issuer)}/revocations`,
        body: jti !== undefined ? { jti, expiresAt } : { family },
      };
    },
  },
  {
    group: 'issuers',
    name: 'revoke-token',
    summary: "revoke an issuer's token given whole (its family when it has one)",
    description:
      'Revokes a token of the issuer given whole, as RFC 7009 revoke would: its family when the issuer has a family claim and the token carries it, else the token. The token goes in the JSON body (POST /admin/issuers/{issuerId}/revocations), never in a URL.',
    args: [ISSUER_ARG, 'TOKEN'],
    secretArgs: true,
    options: {},
    examples: ['issuers revoke-token https://sso.example.com/realms/main "$ACCESS_TOKEN"'],
    request: (_values, [issuer, token]) => ({
      method: 'POST',
      path: `admin/issuers/${issuerIdArg(issuer)}/revocations`,
      body: { token },
    }),
  },
  {
    group: 'issuers',
    name: 'revoke-tokens',
    summary: 'revoke every token of an issuer issued up to now (a leaked signing key)',
    description:
      'Revokes every token of the issuer issued up to now (DELETE /admin/issuers/{issuerId}/tokens); later ones are accepted. Prints {"issuerId","tokensRevokedBefore"}.',
    args: [ISSUER_ARG],
    options: {},
    examples: ['issuers revoke-tokens qE3s0mZl8cVh2nB5xT1wAg'],
    request: (_values, [issuer]) => ({
      method: 'DELETE',
      path: `admin/issuers/${issuerIdArg(issuer)}/tokens`,
    }),
  },
  {
    group: 'issuers',
    name: 'revoke-client-tokens',
    summary: "revoke every token of an issuer's client issued up to now",
    description:
      'Revokes every token of the issuer that names this client (its client id claims) issued up to now (DELETE /admin/issuers/{issuerId}/clients/{clientId}/tokens).',
    args: [ISSUER_ARG, 'CLIENT_ID'],
    options: {},
    examples: ['issuers revoke-client-tokens qE3s0mZl8cVh2nB5xT1wAg 4k8a2b6c9d1e3f5g7h0j2l4m6n'],
    request: (_values, [issuer, clientId]) => ({
      method: 'DELETE',
      path: `admin/issuers/${issuerIdArg(issuer)}/clients/${segment(clientId ?? '')}/tokens`,
    }),
  },
  {
    group: 'issuers',
    name: 'revoke-subject-tokens',
    summary: "revoke every token of an issuer's subject (user) issued up to now",
    description:
      "Revokes every token of the issuer that carries this subject issued up to now (DELETE /admin/issuers/{issuerId}/subjects/{subject}/tokens); the service's own tokens of a subject with the same name are untouched. `subjects global-revoke SUBJECT --iss ISSUER` does the same by RFC 9493 iss_sub.",
    args: [ISSUER_ARG, 'SUBJECT'],
    options: {},
    examples: [
      'issuers revoke-subject-tokens https://sso.example.com/realms/main 8f14e45f-ceea-467f-a0f5-8a1b2c3d4e5f',
    ],
    request: (_values, [issuer, subject]) => ({
      method: 'DELETE',
      path: `admin/issuers/${issuerIdArg(issuer)}/subjects/${segment(subject ?? '')}/tokens`,
    }),
  },
];
