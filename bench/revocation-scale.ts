/**
 * What revocation costs as the revoked set grows, and what the stream's sweeps and the authorizer cost,
 * all on one DynamoDB Local, every comparison measured side by side (interleaved):
 * - revoke of a refresh token (RFC 7009, the caller's own) whose grant holds N = 0 .. 10,000 access tokens:
 *   the request path writes the grant's mark only, so its time must not grow with N;
 * - the sweeper's `sweep()` of a grant, a client cut-off and a subject cut-off of 10,000 tokens each:
 *   tokens deleted per second;
 * - the authorizer's handler, invoked in process with an HTTP API simple-response event, vs one raw
 *   consistent BatchGetItem of the same keys.
 * Fixtures are token items minted with the domain's token format and written with BatchWriteItem, many
 * calls in flight: a sweep or a revoke reads them exactly as it reads tokens the token route issued.
 * DynamoDB Local is not DynamoDB: absolute times differ on AWS; round trips and ratios carry over.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BatchGetItemCommand, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import type { HttpApiAuthorizerResult } from '#commons/authorizer/decision.ts';
import { routeScopesFromEnv } from '#commons/authorizer/route-scopes.ts';
import { revokeClientTokens, revokeSubjectTokens } from '#commons/domain/admin.ts';
import { newClient } from '#commons/domain/clients.ts';
import type { Revoker } from '#commons/domain/events.ts';
import { type Client, systemClock, type TokenRecord } from '#commons/domain/model.ts';
import { revokeForClient, revokeGrantOf } from '#commons/domain/revocation.ts';
import { sweep } from '#commons/domain/sweep.ts';
import { formatToken, presentToken } from '#commons/domain/token-format.ts';
import { ATTR, CLIENT_INDEX, GRANT_INDEX, type IndexSchema, SUBJECT_INDEX } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { clientKey, grantKey, subjectKey, tokenKey, tokenToItem } from '#commons/store/items.ts';
import { createHandler as createAuthorizer } from '#functions/authorizer/handler.ts';
import { issueGrant } from '#test/support/grants.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';
import { ensureTable, localDynamoClient, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';
import { openRequestStore, openTable } from '#wiring/table.ts';
import { openTrustedTokenStore, trustedTokens } from '#wiring/trusted.ts';

const SIZES = (process.env.BENCH_N_SIZES ?? '0,100,1000,10000').split(',').map(Number);
const N_ROUNDS = Number(process.env.BENCH_N_ROUNDS ?? 100);
const SWEEP_TOKENS = Number(process.env.BENCH_SWEEP_TOKENS ?? 10_000);
const AUTHORIZER_CALLS = Number(process.env.BENCH_AUTHORIZER_CALLS ?? 500);
/** Calls discarded before measuring: connection setup, JIT. */
const WARM_UP = 10;
/** BatchWriteItem calls in flight while loading fixtures. */
const LOAD_CONCURRENCY = 16;
const TABLE = 'bench-scale';
const REVOKE_ROUTE = 'POST /oauth2/revoke';

const median = (values: number[]) => percentile(values, 0.5);
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Runs `fn` with stdout swallowed (the handler's log lines), so the bench's own output stays readable. */
async function quietStdout<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

/** Writes token items with BatchWriteItem, `LOAD_CONCURRENCY` calls in flight, retrying unprocessed items. */
async function loadTokens(doc: DynamoDBDocumentClient, tokens: readonly TokenRecord[]): Promise<void> {
  const batches: TokenRecord[][] = [];
  for (let i = 0; i < tokens.length; i += 25) batches.push(tokens.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let requests = (batches[next++] ?? []).map((token) => ({ PutRequest: { Item: tokenToItem(token) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * attempt));
        const result = await doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }));
        requests = (result.UnprocessedItems?.[TABLE] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
}

/** `count` access token records minted with the token format, issued a second ago, unexpired. */
function accessTokens(
  count: number,
  refs: { clientId: string; grantId?: string; subject?: string },
): TokenRecord[] {
  const now = Date.now() - 1000;
  const subjectKeyValue = refs.subject === undefined ? undefined : subjectKeyOf(refs.subject);
  return Array.from({ length: count }, () => {
    const { id } = presentToken(
      formatToken({
        kind: 'access',
        clientId: refs.clientId,
        ...(refs.grantId !== undefined && { grantId: refs.grantId }),
        ...(subjectKeyValue !== undefined && { subjectKey: subjectKeyValue }),
      }),
    );
    return {
      id,
      kind: 'access',
      clientId: refs.clientId,
      ...(refs.grantId !== undefined && { grantId: refs.grantId }),
      ...(refs.subject !== undefined && { subject: refs.subject, subjectKey: subjectKeyValue }),
      scope: '',
      issuedAt: now,
      expiresAt: Math.floor(now / 1000) + 3600,
      grantType: 'external',
      refreshCount: 0,
      lastModifiedAt: now,
    };
  });
}

/** How many items an index lists under a key (paged COUNT queries). */
async function countIndex(raw: DynamoDBClient, index: IndexSchema, value: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await raw.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: index.indexName,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': index.partitionKey },
        ExpressionAttributeValues: { ':v': { S: value } },
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  return count;
}

/** An HTTP API (payload 2.0) authorizer event, as API Gateway sends it with simple responses enabled. */
function authorizerEvent(authorization: string): APIGatewayRequestAuthorizerEventV2 {
  const routeKey = 'GET /orders/{id}';
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:bench/$default/GET/orders/42',
    identitySource: [authorization],
    routeKey,
    rawPath: '/orders/42',
    rawQueryString: '',
    cookies: [],
    headers: { authorization },
    queryStringParameters: {},
    pathParameters: { id: '42' },
    stageVariables: {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'bench',
      http: {
        method: 'GET',
        path: '/orders/42',
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'bench',
      },
      requestId: 'bench',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  } as APIGatewayRequestAuthorizerEventV2;
}

type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEventV2,
  context: Context,
) => Promise<HttpApiAuthorizerResult>;

/** Runs the benchmark and returns its markdown section. */
export async function run(): Promise<string> {
  const dynamo = await startDynamoDbLocal();
  try {
    await ensureTable(dynamo.endpoint, TABLE);
    const dynamoClient = createDynamoClient({ endpoint: dynamo.endpoint });
    let sent = 0;
    const sentBy = new Map<string, number>();
    dynamoClient.middlewareStack.add(
      (next, context) => async (args) => {
        sent++;
        sentBy.set(context.commandName ?? '?', (sentBy.get(context.commandName ?? '?') ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'countRoundTrips' },
    );
    const store = new DynamoStore({ tableName: TABLE, client: dynamoClient });
    const raw = localDynamoClient(dynamo.endpoint);
    const doc = DynamoDBDocumentClient.from(raw);
    const clock = () => Date.now();
    const { client } = newClient(
      { name: 'bench', grantTypes: ['client_credentials', 'refresh_token'] },
      clock(),
    );
    await store.createClient(client);
    const grant = async (owner: Client, subject?: string) => {
      const issued = await issueGrant(store, clock, owner, subject);
      return { grantId: issued.grantId, access: issued.accessRaw, refresh: issued.refresh };
    };
    const caller: Revoker = { actor: { type: 'client', id: client.clientId }, route: REVOKE_ROUTE };

    // 1. Revoke of a refresh token whose grant holds N access tokens. Each N has its own grant (the two
    // tokens issueTokens wrote plus N access token items); between two revokes the grant's mark is
    // removed, outside the timing, so every revoke is a first revocation that writes, as a real one.
    const loadStart = performance.now();
    const grants = [];
    for (const n of SIZES) {
      const g = await grant(client);
      await loadTokens(doc, accessTokens(n, { clientId: client.clientId, grantId: g.grantId }));
      const listed = await countIndex(raw, GRANT_INDEX, g.grantId);
      if (listed !== n + 2) throw new Error(`grant of N=${n} lists ${listed} tokens, not ${n + 2}`);
      grants.push({ n, ...g, times: [] as number[] });
    }
    const unrevoke = (grantId: string) =>
      doc.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: grantKey(grantId),
          UpdateExpression: 'REMOVE #a, #b, #c, #d, #e',
          ExpressionAttributeNames: {
            '#a': ATTR.revokedAt,
            '#b': ATTR.revokedBy,
            '#c': ATTR.revokedRoute,
            '#d': ATTR.revokedReason,
            '#e': ATTR.revokedTokenId,
          },
        }),
      );
    const revokeTrips = new Map<number, string>();
    for (let round = 0; round < N_ROUNDS + WARM_UP; round++) {
      // Rotated order, so no size always runs first or last in a round.
      for (let k = 0; k < grants.length; k++) {
        const g = grants[(round + k) % grants.length];
        if (!g) continue;
        await unrevoke(g.grantId);
        const before = sent;
        sentBy.clear();
        const { ms, value } = await timed(() =>
          revokeForClient(store, clock, client, g.refresh, REVOKE_ROUTE),
        );
        if (value?.event.type !== 'grant.revoked') throw new Error(`N=${g.n}: the revoke revoked nothing`);
        if (round >= WARM_UP) g.times.push(ms);
        if (round === WARM_UP)
          revokeTrips.set(
            g.n,
            `${sent - before} (${[...sentBy].map(([name, count]) => `${name.replace(/Command$/, '')} × ${count}`).join(', ')})`,
          );
      }
    }
    // The request path deletes nothing: every token is still there for the sweeper.
    for (const g of grants) {
      const listed = await countIndex(raw, GRANT_INDEX, g.grantId);
      if (listed !== g.n + 2)
        throw new Error(`N=${g.n}: ${listed} tokens left after the revokes, not ${g.n + 2}`);
    }
    const nCurveSeconds = (performance.now() - loadStart) / 1000;

    // 2. Sweeps of 10,000 tokens each, as the sweeper runs them from the revocation's event.
    const sweeps: { name: string; deleted: number; ms: number; load: number }[] = [];
    const measureSweep = async (
      name: string,
      load: () => Promise<void>,
      revoke: () => Promise<Parameters<typeof sweep>[2] | undefined>,
      index: IndexSchema,
      key: string,
    ) => {
      const loading = await timed(load);
      const listed = await countIndex(raw, index, key);
      if (listed !== SWEEP_TOKENS) throw new Error(`${name}: ${listed} tokens listed, not ${SWEEP_TOKENS}`);
      const event = await revoke();
      if (!event) throw new Error(`${name}: no revocation event`);
      const { ms, value } = await timed(() => sweep(store, clock, event));
      if (value !== SWEEP_TOKENS) throw new Error(`${name}: swept ${value}, not ${SWEEP_TOKENS}`);
      const left = await countIndex(raw, index, key);
      if (left !== 0) throw new Error(`${name}: ${left} tokens left after the sweep`);
      sweeps.push({ name, deleted: value, ms, load: loading.ms });
    };
    const grantOwner = await grant(client);
    await measureSweep(
      'grant (`grant.revoked`)',
      () =>
        loadTokens(
          doc,
          accessTokens(SWEEP_TOKENS - 2, { clientId: client.clientId, grantId: grantOwner.grantId }),
        ),
      () =>
        revokeGrantOf(store, grantOwner.grantId, {
          ...caller,
          at: clock(),
          reason: 'revoked',
          tokenId: grantOwner.refresh.id,
        }),
      GRANT_INDEX,
      grantOwner.grantId,
    );
    const { client: cutClient } = newClient(
      { name: 'bench-cut-off', grantTypes: ['client_credentials'] },
      clock(),
    );
    await store.createClient(cutClient);
    await measureSweep(
      'client cut-off (`client.tokens_revoked`)',
      () => loadTokens(doc, accessTokens(SWEEP_TOKENS, { clientId: cutClient.clientId })),
      () => revokeClientTokens(store, clock, { actor: { type: 'iam', id: 'bench' } }, cutClient.clientId),
      CLIENT_INDEX,
      cutClient.clientId,
    );
    const subject = 'bench-subject';
    await measureSweep(
      'subject cut-off (`subject.tokens_revoked`)',
      () => loadTokens(doc, accessTokens(SWEEP_TOKENS, { clientId: client.clientId, subject })),
      () => revokeSubjectTokens(store, clock, { actor: { type: 'iam', id: 'bench' } }, subject, subjectKeyOf),
      SUBJECT_INDEX,
      subjectKeyOf(subject),
    );

    // 3. The authorizer's handler, in process as Lambda calls it, vs one raw consistent BatchGetItem of
    // the keys it reads: the token, its client, its grant and its subject's cut-off.
    const user = await grant(client, 'alice');
    const refs = presentToken(user.access).refs;
    if (!refs?.grantId || !refs.subjectKey) throw new Error('no refs');
    const keys = [
      tokenKey(presentToken(user.access).id),
      clientKey(client.clientId),
      grantKey(refs.grantId),
      subjectKey(refs.subjectKey),
    ].map((key) => marshall(key));
    // The authorizer as its composition root builds it (functions/authorizer/index.ts), on a table
    // client of its own whose round trips are counted.
    const table = openTable({ tableName: TABLE, dynamoDbEndpoint: dynamo.endpoint });
    const handler = createAuthorizer({
      store: openRequestStore(table),
      clock: systemClock,
      trusted: trustedTokens({
        store: openTrustedTokenStore(table),
        clock: systemClock,
        allowLoopbackHttp: true,
      }),
      routeScopes: routeScopesFromEnv({}),
    }) as unknown as AuthorizerHandler;
    let handlerSent = 0;
    table.client.middlewareStack.add(
      (next) => async (args) => {
        handlerSent++;
        return next(args);
      },
      { step: 'initialize', name: 'countRoundTrips' },
    );
    const event = authorizerEvent(`Bearer ${user.access}`);
    const context = { functionName: 'authorizer', awsRequestId: 'bench' } as Context;
    const authorizerTimes: number[] = [];
    const rawTimes: number[] = [];
    let authorizerTrips = 0;
    await quietStdout(async () => {
      for (let i = 0; i < AUTHORIZER_CALLS + WARM_UP; i++) {
        const before = handlerSent;
        const ours = await timed(() => handler(event, context));
        if (!ours.value.isAuthorized) throw new Error('the authorizer refused an active token');
        authorizerTrips = handlerSent - before;
        const rawRead = await timed(() =>
          raw.send(
            new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: keys, ConsistentRead: true } } }),
          ),
        );
        // Three items: a subject without a cut-off has no item, for the raw read as for the authorizer.
        if ((rawRead.value.Responses?.[TABLE]?.length ?? 0) < 3)
          throw new Error('raw BatchGetItem missed a key');
        if (i >= WARM_UP) {
          authorizerTimes.push(ours.ms);
          rawTimes.push(rawRead.ms);
        }
      }
    });
    doc.destroy();

    const fmt = (v: number) => v.toFixed(2);
    const first = grants[0];
    const last = grants[grants.length - 1];
    const nRatio = first && last ? (median(last.times) / median(first.times)).toFixed(2) : 'n/a';
    const nRatioP90 =
      first && last ? (percentile(last.times, 0.9) / percentile(first.times, 0.9)).toFixed(2) : 'n/a';
    const count = (n: number) => n.toLocaleString('en-US');
    const rate = (s: { deleted: number; ms: number }) => Math.round(s.deleted / (s.ms / 1000));
    const slowest = Math.min(...sweeps.map(rate));
    return `## Revocation at scale, sweeps and the authorizer (DynamoDB Local)

### Revoke of a refresh token against the size of its grant

RFC 7009 revoke of the caller's own refresh token (the domain's \`revokeForClient\`, as the revoke handler
calls it, client already authenticated) whose grant holds N access tokens besides the grant's own two
tokens. ${N_ROUNDS} revokes per N after ${WARM_UP} warm-up rounds, the sizes interleaved round by round;
between two revokes the grant's revocation mark is removed, outside the timing, so each one is a first
revocation that writes. Every token is still listed by the grant index afterwards: the request path
deletes none (the sweeper does, from the stream). Fixtures and revokes took ${nCurveSeconds.toFixed(0)} s.

| N access tokens | round trips | p50 ms | p90 ms |
| ---: | --- | ---: | ---: |
${grants.map((g) => `| ${count(g.n)} | ${revokeTrips.get(g.n) ?? '?'} | ${fmt(median(g.times))} | ${fmt(percentile(g.times, 0.9))} |`).join('\n')}

Ratio N=${count(last?.n ?? 0)} / N=${count(first?.n ?? 0)}: **${nRatio}x** at p50, ${nRatioP90}x at p90.

### Sweep throughput

The sweeper's \`sweep(store, clock, event)\` on the event of a real revocation write, ${count(SWEEP_TOKENS)} token
items each (loaded with BatchWriteItem, ${LOAD_CONCURRENCY} calls in flight), then checked: the index lists none.
Index query pages + BatchWriteItem deletes of 25, several in flight; the sweep record write included.

| sweep | tokens deleted | ms | tokens/s | fixture load ms |
| --- | ---: | ---: | ---: | ---: |
${sweeps.map((s) => `| ${s.name} | ${count(s.deleted)} | ${s.ms.toFixed(0)} | **${count(rate(s))}** | ${s.load.toFixed(0)} |`).join('\n')}

Slowest: **${count(slowest)} tokens/s**.

### Authorizer vs raw BatchGetItem

The authorizer's Lambda handler (\`functions/authorizer\`, middy and Powertools included, log lines
swallowed) invoked in process with an HTTP API payload 2.0 event, for an active access token of a grant
with a subject, vs one raw consistent \`BatchGetItemCommand\` of the same 4 keys (token, client, grant,
subject cut-off); ${AUTHORIZER_CALLS} calls each after ${WARM_UP} warm-up calls, interleaved.

| call | round trips | p50 ms | p90 ms | p99 ms |
| --- | --- | ---: | ---: | ---: |
| authorizer handler, \`isAuthorized: true\` (ours) | ${authorizerTrips} | ${fmt(median(authorizerTimes))} | ${fmt(percentile(authorizerTimes, 0.9))} | ${fmt(percentile(authorizerTimes, 0.99))} |
| raw consistent BatchGetItem of the same 4 keys | 1 | ${fmt(median(rawTimes))} | ${fmt(percentile(rawTimes, 0.9))} | ${fmt(percentile(rawTimes, 0.99))} |

Ratio authorizer / raw BatchGetItem: **${(median(authorizerTimes) / median(rawTimes)).toFixed(2)}x** at p50,
${(percentile(authorizerTimes, 0.9) / percentile(rawTimes, 0.9)).toFixed(2)}x at p90.
`;
  } finally {
    await dynamo.stop();
  }
}

// Run alone: `npx tsx bench/revocation-scale.ts`.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  console.log(await run());
