/**
 * DynamoDB capacity units per operation, as DynamoDB Local reports them (`ReturnConsumedCapacity:
 * 'INDEXES'` on every command the store sends; DynamoDB Local reports table and index units per command,
 * with the same rules as DynamoDB for items under 1 KB: a write unit per item and per index written, twice
 * that in a transaction; a consistent read unit per 4 KB read). Each operation runs through the same
 * domain functions the handlers call, on a table of its own.
 *
 * `npx tsx bench/capacity.ts` prints the table; `measureCapacity()` returns the figures as data (the cost
 * document computes prices from them).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { findActiveToken } from '#commons/domain/activity.ts';
import { revokeSubjectTokens } from '#commons/domain/admin.ts';
import { newClient } from '#commons/domain/clients.ts';
import type { Client, Store } from '#commons/domain/model.ts';
import { revokeAccessToken, revokeGrantOf } from '#commons/domain/revocation.ts';
import { sweep } from '#commons/domain/sweep.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { clientCredentialsGrant, issueTokens, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';
import { ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

/** One DynamoDB command an operation sent, with the units DynamoDB Local reported for it. */
export interface CommandCapacity {
  /** `PutItemCommand`, `BatchGetItemCommand`, ... */
  readonly command: string;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Units per index (included in the totals above). */
  readonly indexes: Readonly<Record<string, number>>;
}

/** What one operation consumed. */
export interface OperationCapacity {
  readonly operation: string;
  /** What the operation does, in the words of its row. */
  readonly note: string;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly commands: readonly CommandCapacity[];
}

type Capacity = {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
};

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

/**
 * Asks DynamoDB for the consumed capacity of every command `client` sends (and so every store built on it)
 * and records it. `take()` returns what was recorded since the last call.
 */
export function recordCapacity(client: DynamoDBClient): { take(): CommandCapacity[] } {
  let recorded: CommandCapacity[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      const command = context.commandName ?? 'unknown';
      const all = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
      const units = all.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      const indexes: Record<string, number> = {};
      for (const c of all) {
        for (const [name, index] of Object.entries(c.GlobalSecondaryIndexes ?? {})) {
          indexes[name] = (indexes[name] ?? 0) + (index.CapacityUnits ?? 0);
        }
      }
      const write = WRITES.has(command);
      recorded.push({
        command,
        readUnits: write ? 0 : units,
        writeUnits: write ? units : 0,
        indexes,
      });
      return result;
    },
    { step: 'initialize', name: 'recordConsumedCapacity' },
  );
  return {
    take() {
      const taken = recorded;
      recorded = [];
      return taken;
    },
  };
}

/** The store the operations run on. */
export type StoreFactory = (client: DynamoDBClient, tableName: string) => Store;

const defaultStore: StoreFactory = (client, tableName) => new DynamoStore({ client, tableName });

/**
 * Runs each operation on a fresh table of DynamoDB Local (its own when `endpoint` is not given) and returns
 * the units each consumed.
 */
export async function measureCapacity(
  options: { endpoint?: string; store?: StoreFactory } = {},
): Promise<OperationCapacity[]> {
  const local = options.endpoint === undefined ? await startDynamoDbLocal() : undefined;
  const endpoint = options.endpoint ?? (local?.endpoint as string);
  try {
    const tableName = `capacity-${Date.now()}`;
    await ensureTable(endpoint, tableName);
    const dynamo = createDynamoClient({ endpoint });
    const recorder = recordCapacity(dynamo);
    const store = (options.store ?? defaultStore)(dynamo, tableName);
    const clock = () => Date.now();
    const results: OperationCapacity[] = [];
    const measure = async (operation: string, note: string, run: () => Promise<unknown>) => {
      recorder.take();
      await run();
      const commands = recorder.take();
      results.push({
        operation,
        note,
        readUnits: commands.reduce((sum, c) => sum + c.readUnits, 0),
        writeUnits: commands.reduce((sum, c) => sum + c.writeUnits, 0),
        commands,
      });
    };
    const aClient = async (rotation: boolean): Promise<Client> => {
      const { client } = newClient(
        {
          name: 'capacity',
          grantTypes: ['client_credentials', 'refresh_token'],
          refreshTokenRotation: rotation,
        },
        clock(),
      );
      if (!(await store.createClient(client))) throw new Error('client not created');
      return client;
    };
    const aGrant = async (client: Client, subject?: string) => {
      const issued = await issueTokens(store, clock, client, {
        scope: undefined,
        withRefreshToken: true,
        grantType: 'external',
        ...(subject !== undefined && { subject, subjectKey: subjectKeyOf(subject) }),
      });
      if (!issued?.response.refresh_token) throw new Error('no grant');
      return issued;
    };
    const noReuse = { onReuse: () => undefined };
    const operator = { actor: { type: 'iam' as const, id: 'arn:aws:iam::000000000000:user/capacity' } };

    const client = await aClient(false);
    const rotating = await aClient(true);

    await measure(
      'client_credentials token',
      'the access token put (client authentication from the cache)',
      () => clientCredentialsGrant(store, clock, client),
    );
    await measure(
      'admin mint with refresh token',
      'the client read, then the grant start (a subject included)',
      async () => {
        await store.getClient(client.clientId);
        await aGrant(client, 'alice');
      },
    );
    const plain = await aGrant(client, 'bob');
    await measure('refresh', 'the activity read, the access token, the grant (no rotation)', () =>
      refreshTokenGrant(
        store,
        clock,
        client,
        presentToken(plain.response.refresh_token ?? ''),
        undefined,
        noReuse,
      ),
    );
    const rotated = await aGrant(rotating, 'carol');
    await measure('refresh with rotation', 'the activity read, the access token, the rotation', () =>
      refreshTokenGrant(
        store,
        clock,
        rotating,
        presentToken(rotated.response.refresh_token ?? ''),
        undefined,
        noReuse,
      ),
    );
    const introspected = await aGrant(client, 'dave');
    await measure('introspection', "the activity read of a grant's access token with a subject", () =>
      findActiveToken(store, clock, presentToken(introspected.response.access_token)),
    );
    const standalone = await clientCredentialsGrant(store, clock, client);
    await measure('access-token revoke', "the caller's own access token: one conditional write", () =>
      revokeAccessToken(
        store,
        clock,
        { actor: { type: 'client', id: client.clientId } },
        standalone.accessTokenId,
      ),
    );
    const swept = await aGrant(client, 'erin');
    await refreshTokenGrant(
      store,
      clock,
      client,
      presentToken(swept.response.refresh_token ?? ''),
      undefined,
      noReuse,
    );
    await measure(
      'grant revoke + sweep',
      'a grant of two access tokens and a refresh token: the mark, the sweep and its record',
      async () => {
        const event = await revokeGrantOf(store, swept.grantId ?? '', {
          ...operator,
          at: clock(),
          reason: 'revoked',
        });
        if (!event) throw new Error('not revoked');
        await sweep(store, clock, event);
      },
    );
    const subject = `frank-${Date.now()}`;
    for (let i = 0; i < 5; i++) await aGrant(client, subject);
    await measure(
      'subject cut-off + sweep',
      'ten tokens (five grants of an access and a refresh token): the cut-off, the sweep and its record',
      async () => {
        const event = await revokeSubjectTokens(store, clock, operator, subject, subjectKeyOf);
        await sweep(store, clock, event);
      },
    );
    return results;
  } finally {
    await local?.stop();
  }
}

/** The figures as a Markdown table. */
export function capacityTable(results: readonly OperationCapacity[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.operation} | ${r.writeUnits} | ${r.readUnits} | ${r.commands.map((c) => c.command.replace(/Command$/, '')).join(', ')} | ${r.note} |`,
  );
  return [
    '| operation | write units | read units | commands | what |',
    '|---|---:|---:|---|---|',
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(capacityTable(await measureCapacity()));
  process.exit(0);
}
