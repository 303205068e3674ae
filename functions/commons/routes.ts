/**
 * The one route table. The CDK stack creates an API Gateway route and a Lambda function per entry;
 * the local server serves the same entries with the same handlers.
 */

/** DynamoDB actions a route's function performs; the CDK stack grants exactly these. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:Query';

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path template: `{name}` is a path parameter. */
  readonly path: string;
  /** Folder under `functions/` holding the handler's `index.ts` (exports `handler`). */
  readonly handler: string;
  /** `iam`: SigV4-signed callers only (IAM authorizer on AWS, signature check locally). */
  readonly auth: 'none' | 'iam';
  /** Table actions the handler uses. */
  readonly tableActions: readonly DynamoAction[];
  /** Index names the handler queries (Query on `table/index/<name>`). */
  readonly indexes: readonly string[];
}

const READ_TOKEN: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
const CASCADE: DynamoAction[] = ['dynamodb:Query', 'dynamodb:BatchWriteItem'];

export const ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/oauth2/token',
    handler: 'token',
    auth: 'none',
    tableActions: [...READ_TOKEN, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
    indexes: [],
  },
  {
    method: 'POST',
    path: '/oauth2/revoke',
    handler: 'revoke',
    auth: 'none',
    tableActions: [...READ_TOKEN, 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', ...CASCADE],
    indexes: ['byRefreshToken'],
  },
  {
    method: 'POST',
    path: '/oauth2/introspect',
    handler: 'introspect',
    auth: 'none',
    tableActions: READ_TOKEN,
    indexes: [],
  },
  {
    method: 'POST',
    path: '/admin/clients',
    handler: 'admin-create-client',
    auth: 'iam',
    tableActions: ['dynamodb:PutItem'],
    indexes: [],
  },
  {
    method: 'GET',
    path: '/admin/clients/{clientId}',
    handler: 'admin-get-client',
    auth: 'iam',
    tableActions: ['dynamodb:GetItem'],
    indexes: [],
  },
  {
    method: 'POST',
    path: '/admin/tokens',
    handler: 'admin-mint-token',
    auth: 'iam',
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
    indexes: [],
  },
  {
    method: 'DELETE',
    path: '/oauth/token',
    handler: 'invalidate',
    auth: 'none',
    tableActions: [...READ_TOKEN, 'dynamodb:DeleteItem'],
    indexes: [],
  },
  {
    method: 'DELETE',
    path: '/admin/clients/{clientId}',
    handler: 'admin-delete-client',
    auth: 'iam',
    tableActions: ['dynamodb:DeleteItem', ...CASCADE],
    indexes: ['byClient'],
  },
  {
    method: 'DELETE',
    path: '/admin/clients/{clientId}/tokens',
    handler: 'admin-revoke-client-tokens',
    auth: 'iam',
    tableActions: ['dynamodb:UpdateItem', ...CASCADE],
    indexes: ['byClient'],
  },
  {
    method: 'DELETE',
    path: '/admin/oauth2/accesstokens/{access_token}',
    handler: 'admin-delete-access-token',
    auth: 'iam',
    tableActions: [...READ_TOKEN, 'dynamodb:DeleteItem'],
    indexes: [],
  },
  {
    method: 'DELETE',
    path: '/admin/oauth2/refreshtokens/{refresh_token}',
    handler: 'admin-delete-refresh-token',
    auth: 'iam',
    tableActions: [...READ_TOKEN, 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', ...CASCADE],
    indexes: ['byRefreshToken'],
  },
  {
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    handler: 'metadata',
    auth: 'none',
    tableActions: [],
    indexes: [],
  },
];

/** `POST /oauth2/token` style key, as API Gateway's `routeKey`. */
export function routeKey(route: Route): string {
  return `${route.method} ${route.path}`;
}
