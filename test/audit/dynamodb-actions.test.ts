import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DynamoAction, FUNCTIONS } from '#commons/manifest.ts';
import { commandRecord } from '#test/support/global-setup.ts';
import { runDir } from '#test/support/helpers.ts';
import type { RecordedCommand } from '#test/support/record-dynamodb.ts';

/**
 * Runs after every other test (vitest project `audit`). DynamoDB Local enforces no IAM, so a handler that
 * sent an action its manifest entry does not grant would pass every other test and fail only on AWS.
 * Every server the suite started recorded the commands each function really sent; each must be covered.
 */
const recorded: RecordedCommand[] = readFileSync(commandRecord(runDir), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as RecordedCommand);

/** The IAM actions a command is authorized by (a transaction by the actions of its items). */
function actionsOf(command: RecordedCommand): DynamoAction[] {
  const single: Record<string, DynamoAction> = {
    GetItemCommand: 'dynamodb:GetItem',
    BatchGetItemCommand: 'dynamodb:BatchGetItem',
    PutItemCommand: 'dynamodb:PutItem',
    UpdateItemCommand: 'dynamodb:UpdateItem',
    DeleteItemCommand: 'dynamodb:DeleteItem',
    BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
    QueryCommand: 'dynamodb:Query',
  };
  const inTransaction: Record<string, DynamoAction> = {
    Put: 'dynamodb:PutItem',
    Update: 'dynamodb:UpdateItem',
    Delete: 'dynamodb:DeleteItem',
    ConditionCheck: 'dynamodb:ConditionCheckItem',
  };
  if (command.command === 'TransactWriteItemsCommand') {
    return (command.transactItems ?? []).map(
      (item) => inTransaction[item] ?? (`unknown:${item}` as DynamoAction),
    );
  }
  return [single[command.command] ?? (`unknown:${command.command}` as DynamoAction)];
}

describe('the DynamoDB commands each function sent during the suite', () => {
  it('were recorded, for every function that touches the table, inside an invocation', () => {
    expect(recorded.filter((c) => c.functionName === undefined)).toEqual([]);
    const sent = new Set(recorded.map((c) => c.functionName));
    // A deploy-time function runs under CloudFormation only (its commands: test/integration/register-issuers.test.ts).
    const touching = FUNCTIONS.filter(
      (entry) => entry.tableActions.length > 0 && entry.trigger.type !== 'deploy',
    ).map((entry) => entry.name);
    expect(touching.filter((name) => !sent.has(name))).toEqual([]);
  });

  it.each(FUNCTIONS.map((entry) => [entry.name, entry] as const))(
    '%s sent only actions (and queried only indexes) its manifest entry grants',
    (name, entry) => {
      const mine = recorded.filter((c) => c.functionName === name);
      const actions = new Set(mine.flatMap(actionsOf));
      expect([...actions].filter((action) => !entry.tableActions.includes(action))).toEqual([]);
      const indexes = new Set(mine.flatMap((c) => (c.indexName === undefined ? [] : [c.indexName])));
      expect([...indexes].filter((index) => !entry.indexes.includes(index))).toEqual([]);
      if (entry.tableActions.length === 0) expect(mine).toEqual([]);
    },
  );
});
