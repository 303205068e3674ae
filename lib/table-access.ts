import * as iam from 'aws-cdk-lib/aws-iam';
import type { DynamoAction, FunctionEntry } from '#commons/manifest.ts';
import { INDEXES } from '#commons/schema.ts';

/** The table rights one function needs, split by the ARN they apply to. */
export interface TableAccess {
  /** Actions on the table ARN itself. */
  readonly tableActions: readonly DynamoAction[];
  /** Index names the function may Query (and nothing else on them). */
  readonly queriedIndexes: readonly string[];
}

const QUERY: DynamoAction = 'dynamodb:Query';

/**
 * Works out a route's table rights from the route table. The table has no sort key, so Query is only ever
 * useful on an index: a route that names indexes gets Query on those index ARNs and not on the table;
 * a route that lists Query without naming an index gets it on the table, as written.
 */
export function tableAccess(route: FunctionEntry): TableAccess {
  for (const name of route.indexes) {
    if (!INDEXES.some((index) => index.indexName === name)) {
      throw new Error(`function ${route.name} queries unknown index "${name}"`);
    }
  }
  const queriesIndexes = route.indexes.length > 0;
  const tableActions = [...new Set(route.tableActions)].filter((a) => !(queriesIndexes && a === QUERY));
  return { tableActions: tableActions.sort(), queriedIndexes: [...new Set(route.indexes)].sort() };
}

/** `arn:...:table/<name>/index/<index>`, the resource a Query on that index is authorized against. */
export function indexArn(tableArn: string, indexName: string): string {
  return `${tableArn}/index/${indexName}`;
}

/** IAM statements granting exactly `tableAccess(route)`: no `index/*`, no action the route does not use. */
export function tableAccessStatements(route: FunctionEntry, tableArn: string): iam.PolicyStatement[] {
  const access = tableAccess(route);
  const statements: iam.PolicyStatement[] = [];
  if (access.tableActions.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: [...access.tableActions], resources: [tableArn] }));
  }
  if (access.queriedIndexes.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: [QUERY],
        resources: access.queriedIndexes.map((name) => indexArn(tableArn, name)),
      }),
    );
  }
  return statements;
}

/** Key actions a route needs when the table is encrypted with a customer managed key. */
export function keyActions(route: FunctionEntry): string[] {
  const writes: DynamoAction[] = [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ];
  const read = ['kms:Decrypt', 'kms:DescribeKey'];
  // DynamoDB encrypts new item data under the table key on the caller's behalf, so writers also need these.
  const write = ['kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
  return route.tableActions.some((a) => writes.includes(a)) ? [...read, ...write] : read;
}
