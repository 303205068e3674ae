import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { clientSecretMatches } from '#commons/domain/client-auth.ts';
import { ATTR, CLIENT_KEY_PREFIX, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { clientFromItem } from '#commons/store/items.ts';
import { startServer } from '#test/support/global-setup.ts';
import { ADMIN, basic, dynamoEndpoint, eventually, recordSecrets, runDir } from '#test/support/helpers.ts';
import { type HoldingRelay, startHoldingRelay } from '#test/support/relay.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { ensureTable } from '#tools/local/dynamodb-local.ts';

/**
 * Late writes (issue 15 item 1): DynamoDB frozen mid-request, every call answered 503, then thawed, so
 * that every write the service sent during the freeze is applied after its caller was answered. A
 * holding TCP relay plays the frozen DynamoDB on the suite's own DynamoDB Local: what it kept back it
 * delivers on release, callers long gone. Contract: a write answered 503 is never applied later in a way
 * the caller cannot see.
 */
const TABLE = 'late-writes';

let relay: HoldingRelay | undefined;
let stopServer = () => {};

afterAll(() => {
  relay?.release();
  stopServer();
  relay?.close();
});

type Item = Record<string, unknown>;

describe('writes answered 503 while DynamoDB was frozen', () => {
  it('never take effect unseen once it thaws: every create, rotation and token route', async () => {
    await ensureTable(dynamoEndpoint, TABLE);
    relay = await startHoldingRelay(dynamoEndpoint);
    const { url, child } = await startServer(
      { DYNAMODB_ENDPOINT: `http://127.0.0.1:${relay.port}`, TABLE_NAME: TABLE, RETRY_AFTER_SECONDS: '2' },
      join(runDir, 'late-writes-server.log'),
    );
    stopServer = () => child.kill('SIGTERM');
    const doc = DynamoDBDocumentClient.from(createDynamoClient({ endpoint: dynamoEndpoint }));
    const items = async (): Promise<Item[]> =>
      ((await doc.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? []) as Item[];
    const signed = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const response = await adminRequest(url, method, path, ADMIN, {
        ...(body !== undefined && { body }),
        ...(headers !== undefined && { headers }),
      });
      recordSecrets(response.json);
      return response;
    };
    const token = async (auth: string) => {
      const response = await fetch(`${url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
        body: 'grant_type=client_credentials',
      });
      const text = await response.text();
      if (text.startsWith('{')) recordSecrets(JSON.parse(text));
      return response.status;
    };

    const registered = await signed('POST', '/admin/clients', {
      name: 'before the freeze',
      grantTypes: ['client_credentials', 'refresh_token'],
    });
    expect(registered.status).toBe(201);
    const { clientId, clientSecret } = registered.json as { clientId: string; clientSecret: string };
    const auth = basic(clientId, clientSecret);
    // Warms the token function's client cache, so its write (not its read) is what the freeze catches.
    expect(await token(auth)).toBe(200);
    const shown = new Set([clientId]);
    const keyed = { name: 'keyed during the freeze' };
    const idempotencyKey = 'late-writes-key';

    const ownItem = (all: Item[]) => all.find((i) => i[PARTITION_KEY] === `${CLIENT_KEY_PREFIX}${clientId}`);
    const hashBefore = ownItem(await items())?.[ATTR.secretHash];
    relay.hold();
    const during = await Promise.all([
      signed('POST', '/admin/clients', { name: 'unkeyed during the freeze' }).then((r) => r.status),
      signed('POST', '/admin/clients', keyed, { 'Idempotency-Key': idempotencyKey }).then((r) => r.status),
      signed('POST', `/admin/clients/${clientId}/secret`, {}).then((r) => r.status),
      token(auth),
      signed('POST', '/admin/tokens', { clientId, refreshToken: true }).then((r) => r.status),
    ]);
    expect(during).toEqual([503, 503, 503, 503, 503]);
    relay.release();

    // The thaw: wait until every kept-back write has landed, so the checks below are about late writes.
    const clientItems = await eventually(
      async () => {
        const all = (await items()).filter((i) => String(i[PARTITION_KEY]).startsWith(CLIENT_KEY_PREFIX));
        if (all.length < 3 || ownItem(all)?.[ATTR.secretHash] === hashBefore)
          throw new Error('not landed yet');
        return all;
      },
      { timeoutMs: 15_000 },
    );

    // Rotation: the late rotation left the secret the caller holds working, by the stored item itself (a
    // function's cached client would pass either way) and over HTTP.
    const own = ownItem(clientItems);
    if (!own) throw new Error('the client item is gone');
    expect(clientSecretMatches(clientFromItem(own), clientSecret, Date.now())).toBe(true);
    expect(await token(auth)).toBe(200);
    // Keyed create: the late create is visible to the caller's retry, which gets that client, not another.
    const retried = await signed('POST', '/admin/clients', keyed, { 'Idempotency-Key': idempotencyKey });
    expect(retried.status).toBe(200);
    shown.add((retried.json as { clientId: string }).clientId);
    // Unkeyed create: it landed, but as nothing any read sees, and TTL takes it.
    const unseen = clientItems.filter(
      (i) => !shown.has(String(i[PARTITION_KEY]).slice(CLIENT_KEY_PREFIX.length)),
    );
    expect(unseen).toHaveLength(1);
    const [pending] = unseen;
    expect(pending?.[ATTR.createNonce]).toBeTypeOf('string');
    expect(pending?.[ATTR.expiresAt]).toBeTypeOf('number');
    const pendingId = String(pending?.[PARTITION_KEY]).slice(CLIENT_KEY_PREFIX.length);
    expect((await signed('GET', `/admin/clients/${pendingId}`)).status).toBe(404);
    expect((await signed('POST', '/admin/tokens', { clientId: pendingId })).status).toBe(404);
    // Tokens: a late token write only adds a token nobody holds; the client's own retries just work.
    expect(await token(auth)).toBe(200);
    expect((await signed('POST', '/admin/tokens', { clientId, refreshToken: true })).status).toBe(201);
    // And a rotation retried after the thaw works as answered: the old secret stops at once (grace 0).
    const rotation = await signed('POST', `/admin/clients/${clientId}/secret`, {});
    expect(rotation.status).toBe(200);
    // The new secret first: its success re-reads the item the token function has cached (as designed).
    expect(await token(basic(clientId, (rotation.json as { clientSecret: string }).clientSecret))).toBe(200);
    expect(await token(auth)).toBe(401);
  });
});
