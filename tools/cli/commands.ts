/**
 * What the admin CLI can do: one entry per admin API route it calls. Each command turns its parsed
 * arguments into one admin API request; `main.ts` does the parsing, signing and printing.
 */

import { ISSUER_COMMANDS } from './issuer-commands.ts';

/** A command-line option, in the shape `node:util` `parseArgs` takes plus what the help shows. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Shown after the option name in help, e.g. `URL`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** A usage mistake: reported on stderr with exit code 2, before anything is sent. */
export class UsageError extends Error {}

export interface AdminCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the base URL, so a base URL with a stage path (`https://host/prod/`) keeps it. */
  readonly path: string;
  readonly body?: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CommandSpec {
  readonly group: string;
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Longer help text, shown by `<group> <name> --help`. */
  readonly description: string;
  /** Positional argument names, all required. */
  readonly args: readonly string[];
  /** The positional arguments are bearer secrets: never echoed in an error message. */
  readonly secretArgs?: boolean;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  request(values: OptionValues, args: readonly string[]): AdminCall;
}

/** Options every command takes: where the API is and how to sign for it. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: {
    type: 'string',
    value: 'URL',
    description: 'API base URL (stack output ApiUrl); default $REVOCATION_API_URL',
  },
  region: {
    type: 'string',
    value: 'REGION',
    description:
      'SigV4 region; default the region in an execute-api URL, $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1',
  },
  local: { type: 'boolean', description: 'sign for the local server (implied for localhost URLs)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

const list = (value: string | boolean | undefined): string[] | undefined =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : undefined;

function seconds(values: OptionValues, option: string): number | undefined {
  const value = values[option];
  if (typeof value !== 'string') return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${option} must be a whole number of seconds`);
  return Number(value);
}

function required(values: OptionValues, option: string, command: string): string {
  const value = values[option];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${command} needs --${option}`);
  return value;
}

const segment = (value: string | undefined) => encodeURIComponent(value ?? '');

export const COMMANDS: readonly CommandSpec[] = [
  {
    group: 'clients',
    name: 'create',
    summary: 'register a client; prints its secret, this once',
    description:
      'Registers a client (POST /admin/clients). A confidential client gets a generated clientSecret, printed once and stored only as a hash; a --public client has none and gets its tokens through "tokens mint".',
    args: [],
    options: {
      name: { type: 'string', value: 'NAME', description: 'display name (required)' },
      'grant-types': {
        type: 'string',
        value: 'LIST',
        description:
          'comma-separated: client_credentials, refresh_token (default client_credentials; refresh_token for --public)',
      },
      scopes: { type: 'string', value: 'LIST', description: 'comma-separated scopes the client may ask for' },
      public: {
        type: 'boolean',
        description: 'a public client: no secret (token_endpoint_auth_method none)',
      },
      'access-token-ttl': {
        type: 'string',
        value: 'SECONDS',
        description: 'access token lifetime (default 3600)',
      },
      'refresh-token-ttl': {
        type: 'string',
        value: 'SECONDS',
        description: 'refresh token lifetime (default 2592000, 30 days)',
      },
      'rotate-refresh-tokens': {
        type: 'boolean',
        description:
          'rotate refresh tokens: every refresh returns a new one and consumes the old (always on for --public)',
      },
      'reuse-grace': {
        type: 'string',
        value: 'SECONDS',
        description:
          'how long a consumed refresh token may come back as a retry before it counts as reuse and revokes its grant (0-60, default 10)',
      },
      'idempotency-key': {
        type: 'string',
        value: 'KEY',
        description:
          'Idempotency-Key header (at most 255 characters): running the command again with the same key and options within 24 hours prints the client it created the first time, without its secret',
      },
    },
    examples: [
      'clients create --name app --grant-types client_credentials,refresh_token --scopes read,write',
      'clients create --name app --idempotency-key "$(uuidgen)"',
    ],
    request(values) {
      const grantTypes = list(values['grant-types']);
      const scopes = list(values.scopes);
      const accessTokenTtl = seconds(values, 'access-token-ttl');
      const refreshTokenTtl = seconds(values, 'refresh-token-ttl');
      const refreshTokenReuseGraceSeconds = seconds(values, 'reuse-grace');
      return {
        method: 'POST',
        path: 'admin/clients',
        body: {
          name: required(values, 'name', 'clients create'),
          ...(values.public === true && { public: true }),
          ...(grantTypes && { grantTypes }),
          ...(scopes && { scopes }),
          ...(accessTokenTtl !== undefined && { accessTokenTtl }),
          ...(refreshTokenTtl !== undefined && { refreshTokenTtl }),
          ...(values['rotate-refresh-tokens'] === true && { refreshTokenRotation: true }),
          ...(refreshTokenReuseGraceSeconds !== undefined && { refreshTokenReuseGraceSeconds }),
        },
        ...(typeof values['idempotency-key'] === 'string' && {
          headers: { 'Idempotency-Key': values['idempotency-key'] },
        }),
      };
    },
  },
  {
    group: 'clients',
    name: 'list',
    summary: 'list the registered clients, a page at a time (without secrets)',
    description:
      'Lists registered clients (GET /admin/clients), without their secrets. Prints {"clients":[...],"nextCursor"?}; run again with --cursor set to nextCursor for the next page (the last page has none).',
    args: [],
    options: {
      limit: { type: 'string', value: 'N', description: 'clients per page, 1 to 100 (default 50)' },
      cursor: { type: 'string', value: 'CURSOR', description: 'the nextCursor the previous page printed' },
    },
    examples: ['clients list', 'clients list --limit 100 --cursor bUoyaEYwWnFLM3lTN2NWMXdYOXVUZw'],
    request(values) {
      const query = new URLSearchParams();
      if (typeof values.limit === 'string') {
        if (!/^\d+$/.test(values.limit)) throw new UsageError('--limit must be a whole number from 1 to 100');
        query.set('limit', values.limit);
      }
      if (typeof values.cursor === 'string') query.set('cursor', values.cursor);
      const search = query.toString();
      return { method: 'GET', path: `admin/clients${search === '' ? '' : `?${search}`}` };
    },
  },
  {
    group: 'clients',
    name: 'get',
    summary: 'show a client (without its secret)',
    description:
      'Shows a registered client (GET /admin/clients/{clientId}); its secret is never shown again.',
    args: ['CLIENT_ID'],
    options: {},
    examples: ['clients get 3q2-7wQ9mXo1Bv0cYt5LZg'],
    request: (_values, [clientId]) => ({ method: 'GET', path: `admin/clients/${segment(clientId)}` }),
  },
  {
    group: 'clients',
    name: 'delete',
    summary: 'delete a client and every token it holds',
    description:
      'Deletes a client (DELETE /admin/clients/{clientId}): it can no longer authenticate and all its tokens are inactive at once; the sweeper deletes them in the background. Prints {"clientId"}.',
    args: ['CLIENT_ID'],
    options: {},
    examples: ['clients delete 3q2-7wQ9mXo1Bv0cYt5LZg'],
    request: (_values, [clientId]) => ({ method: 'DELETE', path: `admin/clients/${segment(clientId)}` }),
  },
  {
    group: 'clients',
    name: 'rotate-secret',
    summary: 'give a confidential client a new secret; prints it, this once',
    description:
      'Gives a confidential client a new secret (POST /admin/clients/{clientId}/secret) and prints {"clientId","clientSecret"}; the new secret is shown this once and stored only as a hash. The old secret keeps working for --grace seconds (default 0: it stops at once), then never again. A warm function may accept the old secret from its client cache for at most CLIENT_CACHE_SECONDS (default 5) after that.',
    args: ['CLIENT_ID'],
    options: {
      grace: {
        type: 'string',
        value: 'SECONDS',
        description: 'how long the old secret keeps working, 0 to 86400 (default 0)',
      },
    },
    examples: ['clients rotate-secret 3q2-7wQ9mXo1Bv0cYt5LZg --grace 3600'],
    request(values, [clientId]) {
      const grace = seconds(values, 'grace');
      return {
        method: 'POST',
        path: `admin/clients/${segment(clientId)}/secret`,
        body: grace === undefined ? {} : { previousSecretGraceSeconds: grace },
      };
    },
  },
  {
    group: 'clients',
    name: 'revoke-tokens',
    summary: 'revoke every token of a client; the client stays',
    description:
      'Revokes every access and refresh token of a client issued up to now (DELETE /admin/clients/{clientId}/tokens); the client stays registered. Prints {"clientId","tokensRevokedBefore"}.',
    args: ['CLIENT_ID'],
    options: {},
    examples: ['clients revoke-tokens 3q2-7wQ9mXo1Bv0cYt5LZg'],
    request: (_values, [clientId]) => ({
      method: 'DELETE',
      path: `admin/clients/${segment(clientId)}/tokens`,
    }),
  },
  {
    group: 'tokens',
    name: 'mint',
    summary: 'issue tokens (upstream authorization servers, public clients)',
    description:
      'Issues an access token, and a refresh token when asked and the client may refresh (POST /admin/tokens). Prints the token response: access_token, token_type, expires_in, scope, refresh_token.',
    args: [],
    options: {
      'client-id': {
        type: 'string',
        value: 'CLIENT_ID',
        description: 'the client the tokens belong to (required)',
      },
      subject: {
        type: 'string',
        value: 'SUBJECT',
        description: 'the user the tokens act for (introspection "sub")',
      },
      scope: {
        type: 'string',
        value: 'SCOPE',
        description: "space-separated scopes, a subset of the client's (default: all of them)",
      },
      'refresh-token': { type: 'boolean', description: 'also issue a refresh token' },
    },
    examples: [
      'tokens mint --client-id 3q2-7wQ9mXo1Bv0cYt5LZg --subject alice --scope "read write" --refresh-token',
    ],
    request(values) {
      return {
        method: 'POST',
        path: 'admin/tokens',
        body: {
          clientId: required(values, 'client-id', 'tokens mint'),
          ...(typeof values.subject === 'string' && { subject: values.subject }),
          ...(typeof values.scope === 'string' && { scope: values.scope }),
          ...(values['refresh-token'] === true && { refreshToken: true }),
        },
      };
    },
  },
  {
    group: 'tokens',
    name: 'delete-access',
    summary: 'delete an access token and show what it was',
    description:
      'Deletes an access token and prints its profile in the Apigee Edge management API shape. Sends the token in the JSON body (POST /admin/oauth2/accesstokens/delete), never in the URL, which proxies and access logs may record.',
    args: ['ACCESS_TOKEN'],
    secretArgs: true,
    options: {},
    examples: ['tokens delete-access "$ACCESS_TOKEN"'],
    request: (_values, [token]) => ({
      method: 'POST',
      path: 'admin/oauth2/accesstokens/delete',
      body: { token },
    }),
  },
  {
    group: 'tokens',
    name: 'delete-refresh',
    summary: "revoke a refresh token's whole grant, showing what the token was",
    description:
      "Revokes the grant of a refresh token (current or consumed by rotation): every refresh and access token of the grant; prints the refresh token's profile with grantId (the sweeper deletes the grant's tokens in the background). Sends the token in the JSON body (POST /admin/oauth2/refreshtokens/delete), never in the URL.",
    args: ['REFRESH_TOKEN'],
    secretArgs: true,
    options: {},
    examples: ['tokens delete-refresh "$REFRESH_TOKEN"'],
    request: (_values, [token]) => ({
      method: 'POST',
      path: 'admin/oauth2/refreshtokens/delete',
      body: { token },
    }),
  },
  {
    group: 'subjects',
    name: 'revoke-tokens',
    summary: 'revoke every token of a subject (user), of every client',
    description:
      'Revokes every token that carries the subject, of every client, issued up to now (DELETE /admin/subjects/{subject}/tokens); prints the subject and the cut-off instant. Idempotent; a subject without tokens is not an error.',
    args: ['SUBJECT'],
    options: {},
    examples: ['subjects revoke-tokens alice@example.com'],
    request: (_values, [subject]) => ({
      method: 'DELETE',
      path: `admin/subjects/${segment(subject)}/tokens`,
    }),
  },
  {
    group: 'subjects',
    name: 'global-revoke',
    summary: 'Global Token Revocation: revoke every token of a subject identifier',
    description:
      "draft-parecki-oauth-global-token-revocation (POST /admin/global-token-revocation) with an RFC 9493 subject identifier: format opaque, or iss_sub with --iss: the service's issuer, or a registered trusted issuer (then only that issuer's tokens of the subject). Prints nothing on success (204).",
    args: ['SUBJECT'],
    options: {
      iss: {
        type: 'string',
        value: 'ISSUER',
        description:
          "send an iss_sub identifier with this issuer (the service's own, or a registered trusted issuer) instead of opaque",
      },
    },
    examples: ['subjects global-revoke alice', 'subjects global-revoke alice --iss https://auth.example.com'],
    request: (values, [subject]) => ({
      method: 'POST',
      path: 'admin/global-token-revocation',
      body: {
        sub_id:
          typeof values.iss === 'string'
            ? { format: 'iss_sub', iss: values.iss, sub: subject }
            : { format: 'opaque', id: subject },
      },
    }),
  },
  {
    group: 'ssf',
    name: 'dead-letters',
    summary: 'list the SETs whose push failed for 24 hours (Shared Signals dead letters)',
    description:
      "Lists dead letters, oldest first (GET /admin/ssf/dead-letters): each SET's jti, stream, txn (the revocation event id), attempts, when it was given up and why the last attempt failed; never the SET itself. Pages with --cursor (the nextCursor printed).",
    args: [],
    options: {
      stream: { type: 'string', value: 'STREAM_ID', description: "one stream's dead letters only" },
      limit: { type: 'string', value: 'N', description: 'at most N (1-100, default 50)' },
      cursor: { type: 'string', value: 'CURSOR', description: 'the nextCursor of the page before' },
    },
    examples: ['ssf dead-letters', 'ssf dead-letters --stream 3f2c… --limit 10'],
    request: (values) => {
      const query = new URLSearchParams();
      if (typeof values.stream === 'string') query.set('stream_id', values.stream);
      if (typeof values.limit === 'string') {
        if (!/^\d+$/.test(values.limit)) throw new UsageError('--limit must be a whole number');
        query.set('limit', values.limit);
      }
      if (typeof values.cursor === 'string') query.set('cursor', values.cursor);
      const text = query.toString();
      return { method: 'GET', path: `admin/ssf/dead-letters${text === '' ? '' : `?${text}`}` };
    },
  },
  {
    group: 'ssf',
    name: 'redeliver',
    summary: 'push dead letters again, with the same jti (Shared Signals)',
    description:
      'Puts dead letters back in their streams with a fresh 24 hours of retries (POST /admin/ssf/dead-letters/redeliver): the ones named by --jti, else up to 100 of --stream, else up to 100 of all streams. The SET is sent as it was signed, same jti, so a receiver that got it after all can tell. Prints how many were put back; run again for more.',
    args: [],
    options: {
      jti: {
        type: 'string',
        value: 'LIST',
        description: 'comma-separated jti values (from ssf dead-letters)',
      },
      stream: { type: 'string', value: 'STREAM_ID', description: "one stream's dead letters" },
    },
    examples: ['ssf redeliver --stream 3f2c…', 'ssf redeliver --jti 8a1e…,c07b…'],
    request: (values) => {
      const jtis = list(values.jti);
      if (jtis !== undefined && typeof values.stream === 'string')
        throw new UsageError('ssf redeliver takes --jti or --stream, not both');
      if (values.jti !== undefined && (jtis === undefined || jtis.length === 0))
        throw new UsageError('--jti needs at least one jti');
      return {
        method: 'POST',
        path: 'admin/ssf/dead-letters/redeliver',
        body: {
          ...(jtis !== undefined && { jtis }),
          ...(typeof values.stream === 'string' && { streamId: values.stream }),
        },
      };
    },
  },
  ...ISSUER_COMMANDS,
];

export const GROUPS: Readonly<Record<string, string>> = {
  clients: 'register, list, show and delete clients; rotate a secret; revoke all tokens of a client',
  tokens: 'mint tokens; delete an access or refresh token',
  subjects: 'revoke every token of a subject (user), by name or by RFC 9493 subject identifier',
  ssf: 'Shared Signals: list and redeliver the SETs whose push failed for 24 hours',
  issuers:
    "register trusted issuers (Cognito, Auth0, Keycloak...); revoke their JWTs, families, clients' and subjects' tokens",
};
