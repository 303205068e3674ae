/**
 * What immediate, complete revocation costs, measured side by side on one DynamoDB Local:
 * - the cascade of a refresh token with N access tokens: our index query + BatchWriteItem sweep against
 *   the naive one DeleteItem per child;
 * - an introspection read: our token read + one consistent BatchGetItem of its client and refresh token
 *   (what makes a child dead the moment its parent is revoked) against a bare GetItem of the token.
 * DynamoDB Local is not DynamoDB: absolute times differ on AWS, the round-trip counts and ratios carry over.
 */
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newClient } from '#commons/domain/clients.ts';
import type { TokenRecord } from '#commons/domain/model.ts';
import { hashSecret, mintSecret } from '#commons/domain/secrets.ts';
import { findActiveToken } from '#commons/domain/tokens.ts';
import { PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { ensureTable, localDynamoClient, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

const CHILDREN = Number(process.env.BENCH_CASCADE_CHILDREN ?? 100);
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
    const store = new DynamoStore({
      tableName: TABLE,
      client: createDynamoClient({ endpoint: dynamo.endpoint }),
    });
    const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamo.endpoint));
    const clock = () => Date.now();
    const { client } = newClient(
      { name: 'bench', grantTypes: ['client_credentials', 'refresh_token'] },
      clock(),
    );
    await store.createClient(client);

    const record = (kind: TokenRecord['kind'], extra: Partial<TokenRecord> = {}): TokenRecord => ({
      id: hashSecret(mintSecret()),
      kind,
      clientId: client.clientId,
      scope: '',
      issuedAt: clock(),
      expiresAt: Math.floor(clock() / 1000) + 3600,
      grantType: 'client_credentials',
      refreshCount: 0,
      lastModifiedAt: clock(),
      ...extra,
    });
    /** A refresh token with CHILDREN access tokens minted from it. */
    const family = async () => {
      const parent = record('refresh');
      await store.putTokens([parent]);
      const children = Array.from({ length: CHILDREN }, () =>
        record('access', { refreshTokenId: parent.id, refreshExpiresAt: parent.expiresAt }),
      );
      for (let i = 0; i < children.length; i += 20) {
        await Promise.all(
          children.slice(i, i + 20).map((c) => store.putRefreshedAccessToken(c, parent, clock())),
        );
      }
      return { parent, children };
    };

    const swept: number[] = [];
    const oneByOne: number[] = [];
    for (let round = 0; round < CASCADE_ROUNDS; round++) {
      const a = await family();
      swept.push(await timed(() => store.deleteAccessTokensOf(a.parent.id)));
      const b = await family();
      oneByOne.push(
        await timed(async () => {
          for (const child of b.children) {
            await doc.send(new DeleteCommand({ TableName: TABLE, Key: { [PARTITION_KEY]: child.id } }));
          }
        }),
      );
    }

    const raw = mintSecret();
    const parent = record('refresh');
    const child = record('access', {
      id: hashSecret(raw),
      refreshTokenId: parent.id,
      refreshExpiresAt: parent.expiresAt,
    });
    await store.putTokens([parent, child]);
    const full: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < READS; i++) {
      full.push(await timed(() => findActiveToken(store, clock, child.id)));
      bare.push(await timed(() => store.getToken(child.id)));
    }
    doc.destroy();

    const ms = (v: number) => v.toFixed(2);
    const sweptMs = median(swept);
    const oneByOneMs = median(oneByOne);
    return `## Revocation cost (DynamoDB Local)

Cascade of one refresh token with ${CHILDREN} access tokens, median of ${CASCADE_ROUNDS} rounds:

| sweep | round trips | median ms |
| --- | --- | --- |
| index query + BatchWriteItem (ours) | 1 + ${Math.ceil(CHILDREN / 25)} | ${ms(sweptMs)} |
| one DeleteItem per access token | ${CHILDREN} | ${ms(oneByOneMs)} |

Ratio one-by-one / ours: **${(oneByOneMs / sweptMs).toFixed(1)}x**.

Introspection read of an access token with a refresh token, ${READS} reads each, interleaved:

| read | round trips | p50 ms | p99 ms |
| --- | --- | --- | --- |
| token + consistent BatchGetItem of client and refresh token (ours) | 2 | ${ms(median(full))} | ${ms(percentile(full, 0.99))} |
| bare GetItem of the token (no immediate cascade) | 1 | ${ms(median(bare))} | ${ms(percentile(bare, 0.99))} |

Ratio ours / bare (p50): **${(median(full) / median(bare)).toFixed(2)}x**: the price of an access token being dead
the moment its refresh token or client is revoked, whatever the index has caught up with.
`;
  } finally {
    await dynamo.stop();
  }
}
