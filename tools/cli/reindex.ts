/**
 * `revocation-admin clients reindex --table NAME`: once, after upgrading a deployment made before version 3,
 * puts every client created before the upgrade in the registry index that `GET /admin/clients` pages
 * through (clients created since are put there when they are written). It talks to DynamoDB directly with
 * the caller's AWS credentials (dynamodb:Scan and dynamodb:UpdateItem on the table). Its cost is one scan
 * of the whole table, tokens included: run it once, not routinely. Idempotent, and safe while the service
 * runs: each update is conditional on the client being live and not yet listed.
 */
import { parseArgs } from 'node:util';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ATTR, CLIENT_KEY_PREFIX, CLIENT_REGISTRY, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import type { CliIo } from './main.ts';

const HELP = `Usage: npx revocation-admin clients reindex --table NAME [--region REGION] [--endpoint URL]

Once, after upgrading a deployment made before version 3: lists every client created before the upgrade
in the index GET /admin/clients reads (clients created since are listed already). Talks to DynamoDB with
your AWS credentials (dynamodb:Scan and dynamodb:UpdateItem on the table; the table name is the stack's
TableName output). It scans the whole table once, tokens included. Idempotent; safe while the service runs.
Prints {"reindexed": N}.

Options:
  --table NAME       the service's DynamoDB table (required)
  --region REGION    its region (default: $AWS_REGION, $AWS_DEFAULT_REGION)
  --endpoint URL     a DynamoDB endpoint (DynamoDB Local)
  -h, --help         show help
`;

/** Lists every live client item without `registry` in the registry index; returns how many it listed. */
export async function reindexClients(
  doc: Pick<DynamoDBDocumentClient, 'send'>,
  tableName: string,
): Promise<number> {
  let listed = 0;
  let startKey: Record<string, unknown> | undefined;
  const names = { '#pk': PARTITION_KEY, '#registry': ATTR.registry, '#deleted': ATTR.deletedAt };
  const unlisted =
    'begins_with(#pk, :prefix) AND attribute_not_exists(#registry) AND attribute_not_exists(#deleted)';
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: unlisted,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':prefix': CLIENT_KEY_PREFIX },
        ProjectionExpression: '#pk',
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [PARTITION_KEY]: item[PARTITION_KEY] },
            UpdateExpression: 'SET #registry = :client, #order = #pk',
            // Still a live, unlisted client: a client deleted meanwhile stays out of the index.
            ConditionExpression: `attribute_exists(#pk) AND ${unlisted}`,
            ExpressionAttributeNames: { ...names, '#order': ATTR.registryOrder },
            ExpressionAttributeValues: { ':client': CLIENT_REGISTRY, ':prefix': CLIENT_KEY_PREFIX },
          }),
        );
        listed++;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return listed;
}

/** Runs `clients reindex`; returns the exit code (0 done, 1 failed, 2 usage). */
export async function runReindex(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { table?: string; region?: string; endpoint?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        table: { type: 'string' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(
      `revocation-admin: ${error instanceof Error ? error.message : error}; see 'revocation-admin clients reindex --help'\n`,
    );
    return 2;
  }
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (!values.table) {
    io.stderr(
      "revocation-admin: clients reindex needs --table NAME; see 'revocation-admin clients reindex --help'\n",
    );
    return 2;
  }
  // An endpoint is DynamoDB Local: the service's local client, which signs with its local key.
  const client =
    values.endpoint !== undefined
      ? createDynamoClient({
          endpoint: values.endpoint,
          ...(values.region !== undefined && { region: values.region }),
        })
      : new DynamoDBClient({ ...(values.region !== undefined && { region: values.region }) });
  try {
    const reindexed = await reindexClients(DynamoDBDocumentClient.from(client), values.table);
    io.stdout(`${JSON.stringify({ reindexed })}\n`);
    return 0;
  } catch (error) {
    io.stderr(
      `revocation-admin: clients reindex failed: ${error instanceof Error ? `${error.name}: ${error.message}` : error}\n`,
    );
    return 1;
  } finally {
    client.destroy();
  }
}
