/**
 * What the service's hot paths cost against the raw DynamoDB calls they cannot do without, measured side
 * by side (interleaved) on one DynamoDB Local, with every DynamoDB round trip counted on the wire:
 * - introspection of an access token in a grant with a subject vs one raw consistent BatchGetItem of the
 *   same four keys (token, client, grant, subject cut-off) and vs one raw GetItem;
 * - RFC 7009 revoke of the caller's own access token (client already authenticated: a warm client cache)
 *   vs one raw conditional UpdateItem writing the same tombstone;
 * - a client_credentials grant (warm client cache) vs one raw PutItem;
 * - a grant's cascade: index query + BatchWriteItem vs one DeleteItem per token.
 * DynamoDB Local is not DynamoDB: absolute times differ on AWS; round trips and ratios carry over.
 */
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { newClient } from '#commons/domain/clients.ts';
import { introspect } from '#commons/domain/introspection.ts';
import type { PresentedToken } from '#commons/domain/model.ts';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { formatToken, presentToken } from '#commons/domain/token-format.ts';
import { clientCredentialsGrant, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { ATTR, GRANT_INDEX, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { clientKey, grantKey, subjectKey, tokenKey, tokenToItem } from '#commons/store/items.ts';
import { issueGrant } from '#test/support/grants.ts';
import { ensureTable, localDynamoClient, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

const GRANT_TOKENS = Number(process.env.BENCH_CASCADE_CHILDREN ?? 100);
const CASCADE_ROUNDS = Number(process.env.BENCH_CASCADE_ROUNDS ?? 7);
const READS = Number(process.env.BENCH_READS ?? 500);
const TABLE = 'bench';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function run(): Promise<string> {
  const dynamo = await startDynamoDbLocal();
  try {
    await ensureTable(dynamo.endpoint, TABLE);
    const dynamoClient = createDynamoClient({ endpoint: dynamo.endpoint });
    // Round trips on the wire: every command the store's client sends.
    let sent = 0;
    dynamoClient.middlewareStack.add(
      (next) => async (args) => {
        sent++;
        return next(args);
      },
      { step: 'initialize', name: 'countRoundTrips' },
    );
    const roundTrips = async (fn: () => Promise<unknown>) => {
      const before = sent;
      await fn();
      return sent - before;
    };
    const store = new DynamoStore({ tableName: TABLE, client: dynamoClient });
    const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamo.endpoint));
    const clock = () => Date.now();
    const { client } = newClient(
      { name: 'bench', grantTypes: ['client_credentials', 'refresh_token'] },
      clock(),
    );
    await store.createClient(client);
    const grant = (subject?: string) => issueGrant(store, clock, client, subject);
    /** An access token of the client, written as a raw item (for the raw side of a comparison). */
    const rawAccessItem = () => {
      const presented = presentToken(formatToken({ kind: 'access', clientId: client.clientId }));
      const now = clock();
      return tokenToItem({
        id: presented.id,
        kind: 'access',
        clientId: client.clientId,
        scope: '',
        issuedAt: now,
        expiresAt: Math.floor(now / 1000) + 3600,
        grantType: 'client_credentials',
        refreshCount: 0,
        lastModifiedAt: now,
      });
    };

    // Introspection: ours vs the raw reads it is made of.
    const user = await grant('alice');
    const refs = user.access.refs;
    if (!refs?.grantId || !refs.subjectKey) throw new Error('no refs');
    const fourKeys = [
      tokenKey(user.access.id),
      clientKey(client.clientId),
      grantKey(refs.grantId),
      subjectKey(refs.subjectKey),
    ];
    const ours: number[] = [];
    const rawBatch: number[] = [];
    const rawGet: number[] = [];
    for (let i = 0; i < READS; i++) {
      ours.push(await timed(() => introspect(store, clock, user.access)));
      rawBatch.push(
        await timed(() =>
          doc.send(
            new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: fourKeys, ConsistentRead: true } } }),
          ),
        ),
      );
      rawGet.push(
        await timed(() =>
          doc.send(new GetCommand({ TableName: TABLE, Key: tokenKey(user.access.id), ConsistentRead: true })),
        ),
      );
    }

    // Revoke of an access token of the caller vs one raw conditional UpdateItem of the same tombstone.
    const revokeOurs: number[] = [];
    const revokeRaw: number[] = [];
    for (let i = 0; i < READS; i++) {
      const issued = await clientCredentialsGrant(store, clock, client);
      const mine: PresentedToken = presentToken(issued.response.access_token);
      const item = rawAccessItem();
      await doc.send(new PutCommand({ TableName: TABLE, Item: item }));
      revokeOurs.push(await timed(() => revokeForClient(store, clock, client, mine)));
      revokeRaw.push(
        await timed(() =>
          doc.send(
            new UpdateCommand({
              TableName: TABLE,
              Key: { [PARTITION_KEY]: item[PARTITION_KEY] },
              UpdateExpression: 'SET #revoked = :now, #exp = :nowSeconds, #by = :by, #route = :route',
              ConditionExpression:
                'attribute_exists(#pk) AND attribute_not_exists(#revoked) AND #exp > :nowSeconds',
              ExpressionAttributeNames: {
                '#pk': PARTITION_KEY,
                '#revoked': ATTR.revokedAt,
                '#exp': ATTR.expiresAt,
                '#by': ATTR.revokedBy,
                '#route': ATTR.revokedRoute,
              },
              ExpressionAttributeValues: {
                ':now': Date.now(),
                ':nowSeconds': Math.floor(Date.now() / 1000),
                ':by': { type: 'client', id: 'bench' },
                ':route': 'POST /oauth2/revoke',
              },
            }),
          ),
        ),
      );
    }

    // client_credentials vs one raw PutItem of a token item.
    const ccOurs: number[] = [];
    const ccRaw: number[] = [];
    for (let i = 0; i < READS; i++) {
      ccOurs.push(await timed(() => clientCredentialsGrant(store, clock, client)));
      const item = rawAccessItem();
      ccRaw.push(await timed(() => doc.send(new PutCommand({ TableName: TABLE, Item: item }))));
    }

    // Round trips per route, with the client already authenticated (a warm client cache; a cold one adds
    // one GetItem of the caller's client on token, revoke and introspect).
    const trips: [string, number][] = [];
    const tripsGrant = await grant('bob');
    trips.push([
      'POST /oauth2/introspect',
      await roundTrips(() => introspect(store, clock, tripsGrant.access)),
    ]);
    trips.push([
      'POST /oauth2/token (client_credentials)',
      await roundTrips(() => clientCredentialsGrant(store, clock, client)),
    ]);
    trips.push([
      'POST /oauth2/token (refresh_token)',
      await roundTrips(() =>
        refreshTokenGrant(store, clock, client, tripsGrant.refresh, undefined, { onReuse: () => {} }),
      ),
    ]);
    trips.push([
      'POST /oauth2/revoke (access token)',
      await roundTrips(() => revokeForClient(store, clock, client, tripsGrant.access)),
    ]);
    const unknown = presentToken(
      formatToken({ kind: 'access', clientId: client.clientId }).replace(/.$/, '_'),
    );
    trips.push([
      'POST /oauth2/revoke (bad checksum)',
      await roundTrips(() => revokeForClient(store, clock, client, unknown)),
    ]);

    // A grant's cascade: the sweep vs one DeleteItem per token.
    const family = async () => {
      const g = await grant();
      for (let i = 0; i < GRANT_TOKENS - 2; i += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, GRANT_TOKENS - 2 - i) }, () =>
            refreshTokenGrant(store, clock, client, g.refresh, undefined, { onReuse: () => {} }),
          ),
        );
      }
      return g;
    };
    const swept: number[] = [];
    const oneByOne: number[] = [];
    for (let round = 0; round < CASCADE_ROUNDS; round++) {
      const a = await family();
      swept.push(await timed(() => store.deleteTokensOfGrant(a.grantId)));
      const b = await family();
      const ids = await collectGrantIds(doc, b.grantId);
      if (ids.length !== GRANT_TOKENS)
        throw new Error(`grant lists ${ids.length} tokens, not ${GRANT_TOKENS}`);
      oneByOne.push(
        await timed(async () => {
          for (const id of ids) await doc.send(new DeleteCommand({ TableName: TABLE, Key: tokenKey(id) }));
        }),
      );
    }
    doc.destroy();

    const ms = (v: number) => v.toFixed(2);
    const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
    const row = (name: string, trips: string, values: number[]) =>
      `| ${name} | ${trips} | ${ms(median(values))} | ${ms(percentile(values, 0.99))} |`;
    return `## Hot paths against raw DynamoDB (DynamoDB Local)

${READS} calls each, interleaved with their raw counterpart.

| call | round trips | p50 ms | p99 ms |
| --- | --- | --- | --- |
${row('introspect an access token of a grant with a subject (ours)', '1', ours)}
${row('raw consistent BatchGetItem of the same 4 keys', '1', rawBatch)}
${row('raw consistent GetItem of the token alone', '1', rawGet)}
${row('revoke an access token of the caller (ours)', '1', revokeOurs)}
${row('raw conditional UpdateItem (the same tombstone)', '1', revokeRaw)}
${row('client_credentials grant (ours)', '1', ccOurs)}
${row('raw PutItem of a token item', '1', ccRaw)}

Ratios (p50): introspect / raw BatchGetItem **${ratio(ours, rawBatch)}x**, introspect / raw GetItem of the token
alone **${ratio(ours, rawGet)}x**; revoke / raw UpdateItem **${ratio(revokeOurs, revokeRaw)}x**;
client_credentials / raw PutItem **${ratio(ccOurs, ccRaw)}x**.

DynamoDB round trips per route, counted on the wire, client already authenticated (a cold client cache
adds one GetItem on token, revoke and introspect):

| route | round trips |
| --- | --- |
${trips.map(([name, n]) => `| ${name} | ${n} |`).join('\n')}

Cascade of one grant with ${GRANT_TOKENS} token items, median of ${CASCADE_ROUNDS} rounds:

| sweep | round trips | median ms |
| --- | --- | --- |
| index query + BatchWriteItem (ours) | 1 + ${Math.ceil(GRANT_TOKENS / 25)} | ${ms(median(swept))} |
| one DeleteItem per token | ${GRANT_TOKENS} | ${ms(median(oneByOne))} |

Ratio one-by-one / ours: **${(median(oneByOne) / median(swept)).toFixed(1)}x**.
`;
  } finally {
    await dynamo.stop();
  }
}

/**
 * The ids of a grant's tokens, through the same index the sweep queries (for the one-by-one side); a
 * raw query, so the one-by-one side does not depend on the store's internals.
 */
async function collectGrantIds(doc: DynamoDBDocumentClient, grantId: string): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: GRANT_INDEX.indexName,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': GRANT_INDEX.partitionKey },
        ExpressionAttributeValues: { ':v': grantId },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item[PARTITION_KEY]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return ids;
}
