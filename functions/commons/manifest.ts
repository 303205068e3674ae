/**
 * The function manifest: every Lambda function of the service, what invokes it and what it may do to the
 * table. The CDK construct creates a function, its trigger and its IAM grants per entry; the local server
 * serves and runs the same entries with the same handlers; the tests iterate it (OpenAPI parity, IAM,
 * and the recorded DynamoDB commands each handler really sends).
 */

import { type HttpFunctionName, type HttpTrigger, httpTrigger, routeKeyOf } from './routes.ts';
import {
  ATTR,
  CLIENT_KEY_PREFIX,
  GRANT_KEY_PREFIX,
  ISSUER_KEY_PREFIX,
  PARTITION_KEY,
  REGISTRY_INDEX,
  SUBJECT_KEY_PREFIX,
  SWEEP_KEY_PREFIX,
  TRUSTED_CLIENT_KEY_PREFIX,
  TRUSTED_FAMILY_KEY_PREFIX,
  TRUSTED_SUBJECT_KEY_PREFIX,
  TRUSTED_TOKEN_KEY_PREFIX,
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

export type { HttpTrigger } from './routes.ts';

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

/**
 * [v3] The SSF deliverer's SQS queue (on AWS fed by an EventBridge rule on the service's bus and by the SSF
 * routes' wake-ups); locally the same code runs in the local server's process.
 */
export interface QueueTrigger {
  readonly type: 'queue';
  /** Messages per invocation. */
  readonly batchSize: number;
}

/**
 * [v3] Run by CloudFormation at deploy (a custom resource), never by a request: the registration of the
 * construct's `trustedIssuers`. Created only when the construct declares some.
 */
export interface DeployTrigger {
  readonly type: 'deploy';
}

export type Trigger = HttpTrigger | StreamTrigger | AuthorizerTrigger | DeployTrigger | QueueTrigger;

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
  /**
   * [v3] Shared Signals: `send`, the function sends messages to the SSF deliverer's queue; `keys`, it reads
   * the SETs' public keys (KMS GetPublicKey); `sign`, it signs SETs (KMS Sign) and sends to the queue.
   */
  readonly ssf?: 'send' | 'keys' | 'sign';
  /**
   * [v3] `read`: the function derives subject keys, so it reads the deployment's subject key secret once per
   * cold start (GetSecretValue on that one secret; `SUBJECT_KEY_SECRET_ARN`).
   */
  readonly subjectKey?: 'read';
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
/**
 * A subject's cut-off: one UpdateItem, or ([v3], while tokens minted before subject keys were keyed are
 * stored) a transaction of two, the second under the old key, found by one keys-only Query.
 */
const SUBJECT_CUT_OFF_WRITE = {
  tableActions: [...REVOKE, 'dynamodb:Query'],
  indexes: ['bySubject'],
  subjectKey: 'read',
} as const satisfies Partial<FunctionEntry>;
/** Deleting a token for an operator; both forms of each delete route (path and JSON body) share these. */
const DELETE_TOKEN = { tableActions: [...READ_STATE, ...REVOKE], indexes: [] } as const;

/** [v3] A trusted token's revocation record: one conditional PutItem. */
const TRUSTED_RECORD: DynamoAction[] = ['dynamodb:PutItem'];
/** [v3] An admin route reads the issuer it acts on by key. */
const ISSUER_READ: DynamoAction[] = ['dynamodb:GetItem'];

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
/** A subject's cut-off, new or moved forward; not its mirror under the plain hash ([v3], see schema.ts). */
const SUBJECT_CUT_OFF: FilterPattern = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { ...keyPrefix(SUBJECT_KEY_PREFIX), NewImage: { [ATTR.mirrorOf]: { S: [{ exists: false }] } } },
};

/**
 * [v3] The publisher's versions of the two filters above, widened to trusted issuers' items rather than
 * added beside them: an event source mapping takes 5 filters unless its quota is raised, and the
 * publisher has 5. Items of these prefixes change only to revoke (a record written, a cut-off moved) or,
 * for an issuer, to register (an INSERT, or a MODIFY without a revocation's marks, which the handler skips).
 */
const keyPrefixes = (...prefixes: string[]) => ({
  Keys: { [PARTITION_KEY]: { S: prefixes.map((prefix) => ({ prefix })) } },
});
const CUT_OFF_OR_RECORD: FilterPattern = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: {
    ...keyPrefixes(
      SUBJECT_KEY_PREFIX,
      TRUSTED_TOKEN_KEY_PREFIX,
      TRUSTED_FAMILY_KEY_PREFIX,
      TRUSTED_CLIENT_KEY_PREFIX,
      TRUSTED_SUBJECT_KEY_PREFIX,
    ),
    // A subject cut-off's mirror under the plain hash is no revocation; no trusted item has the attribute.
    NewImage: { [ATTR.mirrorOf]: { S: [{ exists: false }] } },
  },
};
const CLIENT_OR_ISSUER_CHANGED: readonly FilterPattern[] = [ATTR.tokensRevokedBefore, ATTR.deletedAt].map(
  (attribute) => ({
    eventName: ['MODIFY'],
    dynamodb: {
      ...keyPrefixes(CLIENT_KEY_PREFIX, ISSUER_KEY_PREFIX),
      NewImage: { [attribute]: { N: [{ exists: true }] } },
    },
  }),
);

/** A function's http trigger, from the route table (routes.ts), which the handlers read. */
function http(name: HttpFunctionName): HttpTrigger {
  const trigger = httpTrigger(name);
  if (!trigger) throw new Error(`no route "${name}" in routes.ts`);
  return trigger;
}

// [v3] Shared Signals (docs/ssf.md). Every SSF route authorizes its receiver by the bearer's activity (the
// one consistent read); a stream is one item, its SETs are read through the queue index.
const SSF_INDEX = [REGISTRY_INDEX.indexName];
const SSF_FUNCTIONS: readonly FunctionEntry[] = [
  {
    name: 'ssf-configuration',
    trigger: http('ssf-configuration'),
    tableActions: [],
    indexes: [],
  },
  {
    name: 'ssf-jwks',
    trigger: http('ssf-jwks'),
    tableActions: [],
    indexes: [],
    ssf: 'keys',
  },
  {
    name: 'ssf-create-stream',
    trigger: http('ssf-create-stream'),
    // The receiver's streams are counted (index and their items) before the new one is put.
    tableActions: [...READ_STATE, 'dynamodb:Query', 'dynamodb:PutItem'],
    indexes: SSF_INDEX,
  },
  {
    name: 'ssf-get-stream',
    trigger: http('ssf-get-stream'),
    // One stream by id, or every stream of the receiver (index, then the items).
    tableActions: [...READ_STATE, 'dynamodb:GetItem', 'dynamodb:Query'],
    indexes: SSF_INDEX,
  },
  {
    name: 'ssf-update-stream',
    trigger: http('ssf-update-stream'),
    tableActions: [...READ_STATE, 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'ssf-replace-stream',
    trigger: http('ssf-replace-stream'),
    tableActions: [...READ_STATE, 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'ssf-delete-stream',
    trigger: http('ssf-delete-stream'),
    tableActions: [...READ_STATE, 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
    indexes: [],
  },
  {
    name: 'ssf-get-status',
    trigger: http('ssf-get-status'),
    tableActions: [...READ_STATE, 'dynamodb:GetItem'],
    indexes: [],
  },
  {
    name: 'ssf-update-status',
    trigger: http('ssf-update-status'),
    // Enabling a push stream wakes the deliverer for the SETs kept while it was paused.
    tableActions: [...READ_STATE, 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    indexes: [],
    ssf: 'send',
  },
  {
    name: 'ssf-add-subject',
    trigger: http('ssf-add-subject'),
    tableActions: [...READ_STATE, 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'ssf-remove-subject',
    trigger: http('ssf-remove-subject'),
    tableActions: [...READ_STATE, 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'ssf-verify',
    trigger: http('ssf-verify'),
    // Only the deliverer signs: the route asks it for the verification event.
    tableActions: [...READ_STATE, 'dynamodb:GetItem'],
    indexes: [],
    ssf: 'send',
  },
  {
    name: 'ssf-poll',
    trigger: http('ssf-poll'),
    // Acknowledgements delete, offered SETs are marked (UpdateItem), the queue is read through the index.
    tableActions: [
      ...READ_STATE,
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
    ],
    indexes: SSF_INDEX,
  },
  {
    name: 'admin-list-ssf-dead-letters',
    trigger: http('admin-list-ssf-dead-letters'),
    tableActions: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    indexes: SSF_INDEX,
  },
  {
    name: 'admin-redeliver-ssf-dead-letters',
    trigger: http('admin-redeliver-ssf-dead-letters'),
    tableActions: ['dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    indexes: SSF_INDEX,
    ssf: 'send',
  },
  {
    name: 'ssf-receiver',
    // A trusted issuer's SSF transmitter pushes SETs (RFC 8935): the issuer read, the jti checked, the
    // subject's cut-off written (UpdateItem), the jti remembered (PutItem).
    trigger: http('ssf-receiver'),
    tableActions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    indexes: [],
  },
  {
    name: 'ssf-deliverer',
    // Revocation events (from the bus) and wake-ups in; SETs signed, kept, pushed, retried, dead-lettered.
    trigger: { type: 'queue', batchSize: 10 },
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    indexes: SSF_INDEX,
    ssf: 'sign',
  },
];

/**
 * [v3] The admin routes of trusted issuers: the registry and the revocations an operator makes. Each
 * revocation is one write (an UpdateItem of the issuer or of a cut-off, a PutItem of a record), after the
 * issuer it names is read.
 */
const TRUSTED_ISSUER_ADMIN: readonly FunctionEntry[] = [
  {
    name: 'admin-create-issuer',
    trigger: http('admin-create-issuer'),
    // The item read first (a deleted issuer's tombstone keeps its tokens revoked), then a conditional Put
    // (with an Idempotency-Key: a transaction of two Puts, then a read of the key's record).
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    indexes: [],
  },
  {
    name: 'admin-list-issuers',
    trigger: http('admin-list-issuers'),
    // A page of the registry index (keys only), then the page's items by key.
    tableActions: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    indexes: [REGISTRY_INDEX.indexName],
  },
  {
    name: 'admin-get-issuer',
    trigger: http('admin-get-issuer'),
    tableActions: ISSUER_READ,
    indexes: [],
  },
  {
    name: 'admin-delete-issuer',
    trigger: http('admin-delete-issuer'),
    tableActions: ['dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'admin-revoke-issuer-token',
    trigger: http('admin-revoke-issuer-token'),
    tableActions: [...ISSUER_READ, ...TRUSTED_RECORD],
    indexes: [],
  },
  {
    name: 'admin-revoke-issuer-tokens',
    trigger: http('admin-revoke-issuer-tokens'),
    tableActions: [...ISSUER_READ, ...REVOKE],
    indexes: [],
  },
  {
    name: 'admin-revoke-issuer-client-tokens',
    trigger: http('admin-revoke-issuer-client-tokens'),
    tableActions: [...ISSUER_READ, ...REVOKE],
    indexes: [],
  },
  {
    name: 'admin-revoke-issuer-subject-tokens',
    trigger: http('admin-revoke-issuer-subject-tokens'),
    tableActions: [...ISSUER_READ, ...REVOKE],
    indexes: [],
  },
];

export const FUNCTIONS: readonly FunctionEntry[] = [
  {
    name: 'token',
    trigger: http('token'),
    // client_credentials: a put; refresh: the read, then the access token's put and one UpdateItem of the
    // grant (no transaction); reuse detection revokes the grant.
    tableActions: [...AUTH, ...READ_STATE, 'dynamodb:PutItem', ...REVOKE],
    indexes: [],
  },
  {
    name: 'revoke',
    trigger: http('revoke'),
    // [v3] A trusted issuer's token: its issuer read by key (BatchGetItem), its revocation record put.
    tableActions: [...AUTH, ...READ_STATE, ...REVOKE, ...TRUSTED_RECORD],
    indexes: [],
  },
  {
    name: 'introspect',
    trigger: http('introspect'),
    tableActions: [...AUTH, ...READ_STATE],
    indexes: [],
  },
  {
    name: 'admin-create-client',
    trigger: http('admin-create-client'),
    // Without an Idempotency-Key: the pending client's Put, then the UpdateItem that confirms it (so a
    // create answered 503 never lands unseen). With one: a transaction of two Puts, then reads of the key's
    // record and client.
    tableActions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
    indexes: [],
  },
  {
    name: 'admin-get-client',
    trigger: http('admin-get-client'),
    tableActions: ['dynamodb:GetItem'],
    indexes: [],
  },
  {
    name: 'admin-mint-token',
    trigger: http('admin-mint-token'),
    // The client's read, then puts: the access token, and with a refresh token its grant (no transaction).
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    indexes: [],
    subjectKey: 'read',
  },
  {
    name: 'invalidate',
    trigger: http('invalidate'),
    tableActions: [...READ_STATE, ...REVOKE, ...TRUSTED_RECORD],
    indexes: [],
  },
  {
    name: 'admin-delete-client',
    trigger: http('admin-delete-client'),
    // One UpdateItem turns the client into its tombstone (or, deleted already, asks for its sweep again).
    tableActions: ['dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'admin-rotate-client-secret',
    trigger: http('admin-rotate-client-secret'),
    tableActions: ['dynamodb:UpdateItem'],
    indexes: [],
  },
  {
    name: 'admin-revoke-client-tokens',
    trigger: http('admin-revoke-client-tokens'),
    tableActions: REVOKE,
    indexes: [],
  },
  {
    name: 'admin-revoke-subject-tokens',
    trigger: http('admin-revoke-subject-tokens'),
    ...SUBJECT_CUT_OFF_WRITE,
  },
  {
    name: 'admin-global-token-revocation',
    trigger: http('admin-global-token-revocation'),
    ...SUBJECT_CUT_OFF_WRITE,
    // [v3] An `iss` other than the service's: its registration read, then that issuer's subject cut-off.
    tableActions: [...SUBJECT_CUT_OFF_WRITE.tableActions, ...ISSUER_READ],
  },
  ...TRUSTED_ISSUER_ADMIN,
  {
    name: 'admin-delete-access-token',
    trigger: http('admin-delete-access-token'),
    ...DELETE_TOKEN,
  },
  {
    name: 'admin-delete-refresh-token',
    trigger: http('admin-delete-refresh-token'),
    ...DELETE_TOKEN,
  },
  // The DELETE routes' twins with the token in a JSON body, so it stays out of URLs and their logs.
  {
    name: 'admin-post-delete-access-token',
    trigger: http('admin-post-delete-access-token'),
    ...DELETE_TOKEN,
  },
  {
    name: 'admin-post-delete-refresh-token',
    trigger: http('admin-post-delete-refresh-token'),
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
        ...CLIENT_OR_ISSUER_CHANGED,
        CUT_OFF_OR_RECORD,
        { eventName: ['INSERT'], dynamodb: keyPrefix(SWEEP_KEY_PREFIX) },
      ],
      batchSize: 100,
    },
    tableActions: [],
    indexes: [],
    events: 'put',
  },
  {
    name: 'register-issuers',
    trigger: { type: 'deploy' },
    // Each issuer's item read (a tombstone keeps its tokens revoked), then a conditional Put.
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    indexes: [],
  },
  {
    name: 'metadata',
    trigger: http('metadata'),
    tableActions: [],
    indexes: [],
  },
  // [v3] Client listing and the service's index document.
  {
    name: 'admin-list-clients',
    trigger: http('admin-list-clients'),
    // A page of the registry index (keys only), then the page's client items by key.
    tableActions: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    indexes: [REGISTRY_INDEX.indexName],
  },
  {
    name: 'service-index',
    trigger: http('service-index'),
    tableActions: [],
    indexes: [],
  },
  ...SSF_FUNCTIONS,
];

export function isHttp(entry: FunctionEntry): entry is HttpFunction {
  return entry.trigger.type === 'http';
}

export function isStream(entry: FunctionEntry): entry is FunctionEntry<StreamTrigger> {
  return entry.trigger.type === 'stream';
}

export function isQueue(entry: FunctionEntry): entry is FunctionEntry<QueueTrigger> {
  return entry.trigger.type === 'queue';
}

/** [v3] The queue consumers (the SSF deliverer). */
export const QUEUE_FUNCTIONS: readonly FunctionEntry<QueueTrigger>[] = FUNCTIONS.filter(isQueue);

/** The stream consumers (event source mappings on AWS, in-process stream readers locally). */
export const STREAM_FUNCTIONS: readonly FunctionEntry<StreamTrigger>[] = FUNCTIONS.filter(isStream);

/** The entries API Gateway routes to. */
export const HTTP_FUNCTIONS: readonly HttpFunction[] = FUNCTIONS.filter(isHttp);

/** `POST /oauth2/token` style key, as API Gateway's `routeKey`. */
export function routeKey(entry: HttpFunction): string {
  return routeKeyOf(entry.trigger);
}

/** The manifest entry of a function; throws when there is none (a handler must be in the manifest). */
export function functionEntry(name: string): FunctionEntry {
  const entry = FUNCTIONS.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no function "${name}" in the manifest`);
  return entry;
}
