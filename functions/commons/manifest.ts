/**
 * The function manifest: every Lambda function of the service, what invokes it and what it may do to the
 * table. The CDK construct creates a function, its trigger and its IAM grants per entry; the local server
 * serves and runs the same entries with the same handlers; the tests iterate it (OpenAPI parity, IAM,
 * and the recorded DynamoDB commands each handler really sends).
 */

import {
  ATTR,
  CLIENT_KEY_PREFIX,
  GRANT_KEY_PREFIX,
  PARTITION_KEY,
  SUBJECT_KEY_PREFIX,
  SWEEP_KEY_PREFIX,
} from './schema.ts';

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

/**
 * A Lambda event filter pattern on stream records (the subset of EventBridge pattern syntax that Lambda
 * event filtering supports: value lists, `prefix`, `exists`).
 */
export type FilterPattern = { readonly [field: string]: FilterPattern | readonly FilterValue[] };
export type FilterValue = string | { readonly prefix: string } | { readonly exists: boolean };

/**
 * The table's DynamoDB stream (new and old images). The filters (OR-ed) narrow the records that invoke
 * the function to those that may need it; the handler still decides (store/changes.ts), so a filter too
 * wide costs an invocation, never a wrong action.
 */
export interface StreamTrigger {
  readonly type: 'stream';
  readonly filters: readonly FilterPattern[];
  /** Records per invocation. */
  readonly batchSize: number;
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
  /** `put`: the function publishes to the service's EventBridge bus (PutEvents on it, nothing else). */
  readonly events?: 'put';
}

export type HttpFunction = FunctionEntry<HttpTrigger>;

/** The one consistent read that decides a token's activity (token, client, grant, subject cut-off). */
const READ_STATE: DynamoAction[] = ['dynamodb:BatchGetItem'];
/** Authenticating a caller reads its client item. */
const AUTH: DynamoAction[] = ['dynamodb:GetItem'];
/**
 * Every revocation on a request path is one write: a grant's mark, an access token's tombstone, a
 * client's or subject's cut-off (UpdateItem), a client's tombstone (PutItem). The sweeps happen on the
 * stream (the `sweeper` entry), so no request path queries an index or batch-deletes.
 */
const REVOKE: DynamoAction[] = ['dynamodb:UpdateItem'];
/** Deleting a token for an operator; both forms of each delete route (path and JSON body) share these. */
const DELETE_TOKEN = { tableActions: [...READ_STATE, ...REVOKE], indexes: [] } as const;

/** Stream records of a key prefix (the table's only key attribute is `pk`). */
const keyPrefix = (prefix: string) => ({ Keys: { [PARTITION_KEY]: { S: [{ prefix }] } } });
/** A MODIFY that set `attribute` (a number) where the old image had none: a first revocation mark. */
const became = (attribute: string, prefix?: string): FilterPattern => ({
  eventName: ['MODIFY'],
  dynamodb: {
    ...(prefix !== undefined && keyPrefix(prefix)),
    NewImage: { [attribute]: { N: [{ exists: true }] } },
    OldImage: { [attribute]: { N: [{ exists: false }] } },
  },
});
/** A revoked grant revoked again: the sweeper sweeps it once more. */
const GRANT_RESWEEP: FilterPattern = {
  eventName: ['MODIFY'],
  dynamodb: {
    ...keyPrefix(GRANT_KEY_PREFIX),
    NewImage: { [ATTR.sweepRequestedAt]: { N: [{ exists: true }] } },
  },
};
/**
 * A client item changed and carrying a cut-off or a deletion mark (also a later secret rotation of a
 * cut-off client, which the handlers skip). Not a create's confirmation or a rotation of a client never cut
 * off: a consumer has nothing to do for them, and each invocation would cost a Lambda call.
 */
const CLIENT_CHANGED: readonly FilterPattern[] = [ATTR.tokensRevokedBefore, ATTR.deletedAt].map(
  (attribute) => ({
    eventName: ['MODIFY'],
    dynamodb: { ...keyPrefix(CLIENT_KEY_PREFIX), NewImage: { [attribute]: { N: [{ exists: true }] } } },
  }),
);
/** A subject's cut-off, new or moved forward. */
const SUBJECT_CUT_OFF: FilterPattern = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: keyPrefix(SUBJECT_KEY_PREFIX),
};

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
    tableActions: [...AUTH, ...READ_STATE, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', ...REVOKE],
    indexes: [],
  },
  {
    name: 'revoke',
    trigger: http('POST', '/oauth2/revoke', 'none'),
    tableActions: [...AUTH, ...READ_STATE, ...REVOKE],
    indexes: [],
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
    // Without an Idempotency-Key: the pending client's Put, then the UpdateItem that confirms it (so a
    // create answered 503 never lands unseen). With one: a transaction of two Puts, then reads of the key's
    // record and client.
    tableActions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
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
    tableActions: [...READ_STATE, ...REVOKE],
    indexes: [],
  },
  {
    name: 'admin-delete-client',
    trigger: http('DELETE', '/admin/clients/{clientId}', 'iam'),
    // The client's tombstone replaces it.
    tableActions: ['dynamodb:PutItem'],
    indexes: [],
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
    tableActions: REVOKE,
    indexes: [],
  },
  {
    name: 'admin-revoke-subject-tokens',
    trigger: http('DELETE', '/admin/subjects/{subject}/tokens', 'iam'),
    tableActions: REVOKE,
    indexes: [],
  },
  {
    name: 'admin-global-token-revocation',
    trigger: http('POST', '/admin/global-token-revocation', 'iam'),
    tableActions: REVOKE,
    indexes: [],
  },
  {
    name: 'admin-delete-access-token',
    trigger: http('DELETE', '/admin/oauth2/accesstokens/{access_token}', 'iam'),
    ...DELETE_TOKEN,
  },
  {
    name: 'admin-delete-refresh-token',
    trigger: http('DELETE', '/admin/oauth2/refreshtokens/{refresh_token}', 'iam'),
    ...DELETE_TOKEN,
  },
  // The DELETE routes' twins with the token in a JSON body, so it stays out of URLs and their logs.
  {
    name: 'admin-post-delete-access-token',
    trigger: http('POST', '/admin/oauth2/accesstokens/delete', 'iam'),
    ...DELETE_TOKEN,
  },
  {
    name: 'admin-post-delete-refresh-token',
    trigger: http('POST', '/admin/oauth2/refreshtokens/delete', 'iam'),
    ...DELETE_TOKEN,
  },
  {
    name: 'authorizer',
    trigger: { type: 'authorizer' },
    // Read-only: the activity rule's one consistent read, and no client authentication.
    tableActions: [...READ_STATE],
    indexes: [],
  },
  {
    name: 'sweeper',
    // Deletes the tokens of revoked grants, cut-off clients and subjects, and deleted clients, through the
    // matching index; its only other write is the sweep's record (a BatchWriteItem put) for the publisher.
    trigger: {
      type: 'stream',
      filters: [became(ATTR.revokedAt, GRANT_KEY_PREFIX), GRANT_RESWEEP, ...CLIENT_CHANGED, SUBJECT_CUT_OFF],
      // A record can mean a long sweep: few per invocation, so one slow sweep delays few others.
      batchSize: 10,
    },
    tableActions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
    indexes: ['byGrant', 'byClient', 'bySubject'],
  },
  {
    name: 'publisher',
    // Turns each revocation (and each finished sweep) into one EventBridge event; reads nothing.
    trigger: {
      type: 'stream',
      filters: [
        became(ATTR.revokedAt),
        ...CLIENT_CHANGED,
        SUBJECT_CUT_OFF,
        { eventName: ['INSERT'], dynamodb: keyPrefix(SWEEP_KEY_PREFIX) },
      ],
      batchSize: 100,
    },
    tableActions: [],
    indexes: [],
    events: 'put',
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

export function isStream(entry: FunctionEntry): entry is FunctionEntry<StreamTrigger> {
  return entry.trigger.type === 'stream';
}

/** The stream consumers (event source mappings on AWS, in-process stream readers locally). */
export const STREAM_FUNCTIONS: readonly FunctionEntry<StreamTrigger>[] = FUNCTIONS.filter(isStream);

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
