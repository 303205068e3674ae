/**
 * Preloaded (`node --import`) into every local server the suite starts: records each DynamoDB command the
 * handlers send, with the manifest function that sent it, one JSON line each in RECORD_DYNAMODB_COMMANDS.
 * DynamoDB Local enforces no IAM, so this record is how the suite proves each function's manifest entry
 * (and so its IAM policy on AWS) names every action it really uses (test/audit/dynamodb-actions.test.ts).
 */
import { appendFileSync } from 'node:fs';
import { onFunctionsClient } from '#tools/local/dependencies.ts';
import { invocations } from '#tools/local/invocations.ts';

export interface RecordedCommand {
  /** The manifest function that sent it; absent when it was sent outside any invocation. */
  readonly functionName?: string;
  /** `GetItemCommand`, `TransactWriteItemsCommand`, ... */
  readonly command: string;
  /** The operations inside a transaction (`Put`, `Update`, `ConditionCheck`, `Delete`). */
  readonly transactItems?: readonly string[];
  readonly indexName?: string;
}

const file = process.env.RECORD_DYNAMODB_COMMANDS;
if (file) {
  // The one client the local server builds for its functions, as soon as it builds it.
  onFunctionsClient((dynamoClient) =>
    dynamoClient.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TransactItems?: Record<string, unknown>[]; IndexName?: string };
        const record: RecordedCommand = {
          functionName: invocations.getStore()?.functionName,
          command: String(context.commandName),
          ...(input.TransactItems && {
            transactItems: input.TransactItems.flatMap((item) => Object.keys(item)),
          }),
          ...(input.IndexName !== undefined && { indexName: input.IndexName }),
        };
        appendFileSync(file, `${JSON.stringify(record)}\n`);
        return next(args);
      },
      { step: 'initialize', name: 'recordCommandsForTheSuite' },
    ),
  );
}
