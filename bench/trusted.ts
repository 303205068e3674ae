/**
 * Trusted issuers' hot paths against what they cannot do without, measured side by side (interleaved) on
 * one DynamoDB Local, keys served by a JWK Set server on loopback (issue 16, "Benchmarks"):
 * - introspection of a trusted JWT (verification, then the activity rule's one consistent BatchGetItem)
 *   vs one raw consistent BatchGetItem of the same keys plus one bare `jose` verification of the same
 *   token with an imported key (goal: at most 1.3x);
 * - the authorizer's check of the same token (an HTTP API event) vs the same raw pair (goal: at most 1.3x);
 * - RFC 7009 revocation of a trusted JWT (verification, then one conditional PutItem) vs one raw PutItem
 *   of the same record (goal: at most 1.2x);
 * - key fetches per 10,000 checks after warm-up (goal: 0).
 * Each token carries a family claim, a client and a subject, so the read is of all five keys.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { authorize } from '#commons/authorizer/decision.ts';
import { compileRouteScopes } from '#commons/authorizer/route-scopes.ts';
import { IssuerCache } from '#commons/domain/issuer-cache.ts';
import { keyHash, newIssuer } from '#commons/domain/issuers.ts';
import {
  findActiveTrustedToken,
  revocationRecordOf,
  revokeTrustedToken,
  type TrustedTokens,
  trustedIntrospection,
  verifyTrustedToken,
} from '#commons/domain/trusted-tokens.ts';
import { ATTR, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { DynamoTrustStore } from '#commons/store/trusted.ts';
import {
  issuerKey,
  revocationRecordToItem,
  trustedClientKey,
  trustedFamilyKey,
  trustedSubjectKey,
  trustedTokenKey,
} from '#commons/store/trusted-items.ts';
import { JwksKeySource } from '#commons/trusted/jwks.ts';
import { ensureTable, localDynamoClient, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

const READS = Number(process.env.BENCH_TRUSTED_READS ?? 500);
const CHECKS = Number(process.env.BENCH_TRUSTED_CHECKS ?? 10_000);
const TABLE = 'bench-trusted';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? Number.NaN;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** An HTTP API authorizer event carrying `token`, as API Gateway sends one. */
function authorizerEvent(token: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:000000000000:api/$default/GET/orders',
    identitySource: [`Bearer ${token}`],
    routeKey: 'GET /orders',
    rawPath: '/orders',
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}` },
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method: 'GET', path: '/orders', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
      requestId: 'bench',
      routeKey: 'GET /orders',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  } as unknown as APIGatewayRequestAuthorizerEventV2;
}

/** The trusted issuers benchmark; its section of docs/BENCHMARKS.md. */
export async function run(): Promise<string> {
  const dynamo = await startDynamoDbLocal();
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'bench';
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256' }] };
  const jwksServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  try {
    await ensureTable(dynamo.endpoint, TABLE);
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    const store = new DynamoTrustStore({ client, tableName: TABLE });
    const serviceStore = new DynamoStore({ client, tableName: TABLE });
    const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamo.endpoint));
    const clock = () => Date.now();
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    const issuer = newIssuer(
      { issuer: 'https://issuer.bench.test', jwksUri, familyClaim: 'sid', clientIdClaims: ['client_id'] },
      clock(),
    );
    await store.createIssuer(issuer);
    let fetches = 0;
    const keys = new JwksKeySource({ clock, allowLoopbackHttp: true, onFetch: () => fetches++ });
    const deps: TrustedTokens = {
      issuers: new IssuerCache({ read: (id) => store.readIssuer(id), clock, ttlMs: 600_000 }),
      keys,
      store,
      clock,
    };
    const mint = () => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer.issuer,
        sub: 'alice',
        client_id: 'app',
        sid: randomUUID(),
        jti: randomUUID(),
        scope: 'read',
        iat: now,
        exp: now + 3600,
      })
        .setProtectedHeader({ alg: 'ES256', kid })
        .sign(privateKey);
    };
    const token = await mint();
    const verifiedOnce = await verifyTrustedToken(deps, token);
    if (!verifiedOnce) throw new Error('the benchmark token does not verify');
    const fiveKeys = [
      issuerKey(issuer.issuerId),
      trustedTokenKey(issuer.issuerId, keyHash(verifiedOnce.tokenId)),
      trustedFamilyKey(issuer.issuerId, keyHash(verifiedOnce.family ?? '')),
      trustedClientKey(issuer.issuerId, keyHash('app')),
      trustedSubjectKey(issuer.issuerId, keyHash('alice')),
    ];
    const rawRead = async () => {
      await doc.send(
        new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: fiveKeys, ConsistentRead: true } } }),
      );
      await jwtVerify(token, publicKey, { issuer: issuer.issuer, algorithms: ['ES256'] });
    };
    const scopes = compileRouteScopes([]);
    const authorizerDeps = { store: serviceStore, clock, scopes, trusted: deps };
    // Warm-up: the issuer's settings and keys cached, the code paths compiled.
    for (let i = 0; i < 50; i++) {
      await findActiveTrustedToken(deps, token);
      await authorize(authorizerDeps, authorizerEvent(token), () => {});
      await rawRead();
    }

    const introspectOurs: number[] = [];
    const authorizerOurs: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < READS; i++) {
      introspectOurs.push(
        await timed(async () => {
          const active = await findActiveTrustedToken(deps, token);
          if (active) trustedIntrospection(active);
        }),
      );
      authorizerOurs.push(await timed(() => authorize(authorizerDeps, authorizerEvent(token), () => {})));
      raw.push(await timed(rawRead));
    }

    // Revocation: verification then one conditional PutItem, vs one raw PutItem of the same record.
    const tokens = await Promise.all(Array.from({ length: READS * 2 }, mint));
    const revokeOurs: number[] = [];
    const revokeRaw: number[] = [];
    const revokeUnconditional: number[] = [];
    const revoker = { actor: { type: 'bearer', id: 'app' }, route: 'POST /oauth2/revoke' } as const;
    for (let i = 0; i < READS; i++) {
      const ours = tokens[2 * i] ?? '';
      revokeOurs.push(
        await timed(async () => {
          const verified = await verifyTrustedToken(deps, ours);
          if (verified) await revokeTrustedToken(deps, verified, revoker);
        }),
      );
      const other = await verifyTrustedToken(deps, tokens[2 * i + 1] ?? '');
      if (!other) throw new Error('a benchmark token does not verify');
      const item = revocationRecordToItem(
        revocationRecordOf(other, clock()),
        { ...revoker, at: clock() },
        keyHash,
      );
      // The same conditional put (a record not there yet, or expired), as the raw counterpart of ours.
      revokeRaw.push(
        await timed(() =>
          doc.send(
            new PutCommand({
              TableName: TABLE,
              Item: item,
              ConditionExpression: 'attribute_not_exists(#pk) OR #exp <= :now',
              ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#exp': ATTR.expiresAt },
              ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
            }),
          ),
        ),
      );
      const plain = revocationRecordToItem(
        revocationRecordOf({ ...other, tokenId: randomUUID() }, clock()),
        { ...revoker, at: clock() },
        keyHash,
      );
      revokeUnconditional.push(
        await timed(() => doc.send(new PutCommand({ TableName: TABLE, Item: plain }))),
      );
    }

    // Key fetches per CHECKS checks after warm-up (every check of a cached issuer's token).
    const before = fetches;
    for (let i = 0; i < CHECKS; i++) await findActiveTrustedToken(deps, token);
    const fetchesPerChecks = fetches - before;
    doc.destroy();

    const ms = (v: number) => v.toFixed(2);
    const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
    const row = (name: string, values: number[]) =>
      `| ${name} | ${ms(median(values))} | ${ms(percentile(values, 0.99))} |`;
    return `## Trusted issuers: JWTs of other authorization servers (DynamoDB Local)

${READS} calls each, interleaved; an ES256 token with a family, a client and a subject (five keys read).

| call | p50 ms | p99 ms |
| --- | --- | --- |
${row('introspect a trusted JWT (verify + one consistent BatchGetItem)', introspectOurs)}
${row('authorizer check of the same JWT (HTTP API event)', authorizerOurs)}
${row('raw consistent BatchGetItem of the same 5 keys + one bare jose jwtVerify', raw)}
${row('revoke a trusted JWT (verify + one conditional PutItem)', revokeOurs)}
${row('raw PutItem of the same revocation record, with the same condition', revokeRaw)}
${row('raw PutItem of a revocation record, unconditional', revokeUnconditional)}

Ratios (p50): introspection / raw **${ratio(introspectOurs, raw)}x** and authorizer / raw
**${ratio(authorizerOurs, raw)}x** (goal at most 1.3x); revocation / raw PutItem **${ratio(revokeOurs, revokeRaw)}x**
(goal at most 1.2x; the raw one carries the same condition, a revocation written once), against the
unconditional raw PutItem **${ratio(revokeOurs, revokeUnconditional)}x**. Key fetches in ${CHECKS.toLocaleString('en')} checks after warm-up: **${fetchesPerChecks}** (goal 0).
`;
  } finally {
    jwksServer.closeAllConnections();
    jwksServer.close();
    await dynamo.stop();
  }
}

// `npx tsx bench/trusted.ts`: this benchmark alone, printed (BENCH_TRUSTED_READS, BENCH_TRUSTED_CHECKS).
if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
