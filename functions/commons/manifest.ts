/**
 * The function manifest: every Lambda function of the service, what invokes it and what it may do to the
 * table. The CDK construct creates a function, its trigger and its IAM grants per entry; the local server
 * serves and runs the same entries with the same handlers; the tests iterate it (OpenAPI parity, IAM,
 * and the recorded DynamoDB commands each handler really sends).
 */

/** DynamoDB actions a function performs; the CDK construct grants exactly these. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:Query';

/** An API Gateway HTTP API route. */
export interface HttpTrigger {
  readonly type: 'http';
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path template: `{name}` is a path parameter. */
  readonly path: string;
  /** `iam`: SigV4-signed callers only (IAM authorizer on AWS, signature check locally). */
  readonly auth: 'none' | 'iam';
}

/** The table's DynamoDB stream (new and old images), optionally filtered to the records it needs. */
export interface StreamTrigger {
  readonly type: 'stream';
}

/**
 * A Lambda authorizer for other APIs (the `TokenAuthorizer` construct): invoked by API Gateway before
 * someone else's integration, never routed to on the service's own API.
 */
export interface AuthorizerTrigger {
  readonly type: 'authorizer';
}

export type Trigger = HttpTrigger | StreamTrigger | AuthorizerTrigger;

export interface FunctionEntry<T extends Trigger = Trigger> {
  /** Folder under `functions/` holding the handler's `index.ts` (exports `handler`). */
  readonly name: string;
  readonly trigger: T;
  /** Table actions the handler uses. */
  readonly tableActions: readonly DynamoAction[];
  /** Index names the handler queries (Query on `table/index/<name>`). */
  readonly indexes: readonly string[];
}

export type HttpFunction = FunctionEntry<HttpTrigger>;

/** The one consistent read that decides a token's activity (token, client, grant, subject cut-off). */
const READ_STATE: DynamoAction[] = ['dynamodb:BatchGetItem'];
/** Authenticating a caller reads its client item. */
const AUTH: DynamoAction[] = ['dynamodb:GetItem'];
/** A grant's revocation: the mark, then the sweep of its tokens through the grant index. */
const REVOKE_GRANT: DynamoAction[] = ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'];
const SWEEP: DynamoAction[] = ['dynamodb:Query', 'dynamodb:BatchWriteItem'];
/** Deleting a token for an operator; both forms of each delete route (path and JSON body) share these. */
const DELETE_ACCESS_TOKEN = { tableActions: [...READ_STATE, 'dynamodb:DeleteItem'], indexes: [] } as const;
const DELETE_REFRESH_TOKEN = {
  tableActions: [...READ_STATE, ...REVOKE_GRANT],
  indexes: ['byGrant'],
} as const;

const http = (method: HttpTrigger['method'], path: string, auth: HttpTrigger['auth']): HttpTrigger => ({
  type: 'http',
  method,
  path,
  auth,
});

export const FUNCTIONS: readonly FunctionEntry[] = [
  {
    name: 'token',
    trigger: http('POST', '/oauth2/token', 'none'),
    // client_credentials: a put; refresh: the read, then one transaction (Update, ConditionCheck, Put);
    // reuse detection revokes the grant.
    tableActions: [
      ...AUTH,
      ...READ_STATE,
      'dynamodb:PutItem',
      'dynamodb:ConditionCheckItem',
      ...REVOKE_GRANT,
    ],
    indexes: ['byGrant'],
  },
  {
    name: 'revoke',
    trigger: http('POST', '/oauth2/revoke', 'none'),
    tableActions: [...AUTH, ...READ_STATE, 'dynamodb:DeleteItem', ...REVOKE_GRANT],
    indexes: ['byGrant'],
  },
  {
    name: 'introspect',
    trigger: http('POST', '/oauth2/introspect', 'none'),
    tableActions: [...AUTH, ...READ_STATE],
    indexes: [],
  },
  {
    name: 'admin-create-client',
    trigger: http('POST', '/admin/clients', 'iam'),
    // With an Idempotency-Key: a transaction of two Puts, then reads of the key's record and client.
    tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
    indexes: [],
  },
  {
    name: 'admin-get-client',
    trigger: http('GET', '/admin/clients/{clientId}', 'iam'),
    tableActions: ['dynamodb:GetItem'],
    indexes: [],
  },
  {
    name: 'admin-mint-token',
    trigger: http('POST', '/admin/tokens', 'iam'),
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
    indexes: [],
  },
  {
    name: 'invalidate',
    trigger: http('DELETE', '/oauth/token', 'none'),
    tableActions: [...READ_STATE, 'dynamodb:DeleteItem'],
    indexes: [],
  },
  {
    name: 'admin-delete-client',
    trigger: http('DELETE', '/admin/clients/{clientId}', 'iam'),
    tableActions: ['dynamodb:DeleteItem', ...SWEEP],
    indexes: ['byClient'],
  },
  {
    name: 'admin-rotate-client-secret',
    trigger: http('POST', '/admin/clients/{clientId}/secret', 'iam'),
    tableActions: ['dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'admin-revoke-client-tokens',
    trigger: http('DELETE', '/admin/clients/{clientId}/tokens', 'iam'),
    tableActions: ['dynamodb:UpdateItem', ...SWEEP],
    indexes: ['byClient'],
  },
  {
    name: 'admin-revoke-subject-tokens',
    trigger: http('DELETE', '/admin/subjects/{subject}/tokens', 'iam'),
    tableActions: ['dynamodb:UpdateItem', ...SWEEP],
    indexes: ['bySubject'],
  },
  {
    name: 'admin-global-token-revocation',
    trigger: http('POST', '/admin/global-token-revocation', 'iam'),
    tableActions: ['dynamodb:UpdateItem', ...SWEEP],
    indexes: ['bySubject'],
  },
  {
    name: 'admin-delete-access-token',
    trigger: http('DELETE', '/admin/oauth2/accesstokens/{access_token}', 'iam'),
    ...DELETE_ACCESS_TOKEN,
  },
  {
    name: 'admin-delete-refresh-token',
    trigger: http('DELETE', '/admin/oauth2/refreshtokens/{refresh_token}', 'iam'),
    ...DELETE_REFRESH_TOKEN,
  },
  // The DELETE routes' twins with the token in a JSON body, so it stays out of URLs and their logs.
  {
    name: 'admin-post-delete-access-token',
    trigger: http('POST', '/admin/oauth2/accesstokens/delete', 'iam'),
    ...DELETE_ACCESS_TOKEN,
  },
  {
    name: 'admin-post-delete-refresh-token',
    trigger: http('POST', '/admin/oauth2/refreshtokens/delete', 'iam'),
    ...DELETE_REFRESH_TOKEN,
  },
  {
    name: 'authorizer',
    trigger: { type: 'authorizer' },
    // Read-only: the activity rule's one consistent read, and no client authentication.
    tableActions: [...READ_STATE],
    indexes: [],
  },
  {
    name: 'metadata',
    trigger: http('GET', '/.well-known/oauth-authorization-server', 'none'),
    tableActions: [],
    indexes: [],
  },
];

export function isHttp(entry: FunctionEntry): entry is HttpFunction {
  return entry.trigger.type === 'http';
}

/** The entries API Gateway routes to. */
export const HTTP_FUNCTIONS: readonly HttpFunction[] = FUNCTIONS.filter(isHttp);

/** `POST /oauth2/token` style key, as API Gateway's `routeKey`. */
export function routeKey(entry: HttpFunction): string {
  return `${entry.trigger.method} ${entry.trigger.path}`;
}

/** The manifest entry of a function; throws when there is none (a handler must be in the manifest). */
export function functionEntry(name: string): FunctionEntry {
  const entry = FUNCTIONS.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no function "${name}" in the manifest`);
  return entry;
}
