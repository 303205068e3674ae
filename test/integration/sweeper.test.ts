import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteClient, revokeClientTokens, revokeSubjectTokens } from '#commons/domain/admin.ts';
import { type Revoker, sweepEventId } from '#commons/domain/events.ts';
import type { Client, TokenRecord } from '#commons/domain/model.ts';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { hashSecret, mintSecret } from '#commons/domain/secrets.ts';
import { ATTR, GRANT_KEY_PREFIX, PARTITION_KEY, SWEEP_KEY_PREFIX } from '#commons/schema.ts';
import { revocationOf } from '#commons/store/changes.ts';
import { changeOf } from '#commons/stream/handler.ts';
import { issueGrant, storedClient } from '#test/support/grants.ts';
import { dynamoEndpoint, recordSecrets } from '#test/support/helpers.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';
import { keyOf, type StreamTable, streamEvent, streamTable } from '#test/support/table-stream.ts';

/**
 * The stream consumers' handlers invoked as Lambda invokes them, with the records DynamoDB Local's stream
 * really carried for the revocations made through the domain, on a table of this file's own.
 */
type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

let table: StreamTable;
const clock = () => Date.now();
const OPERATOR: Revoker = {
  actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/sweeper-test' },
  route: 'DELETE /admin/test',
};
const ENV_KEYS = ['TABLE_NAME', 'DYNAMODB_ENDPOINT', 'EVENTS_WEBHOOK_URL', 'EVENT_BUS_NAME'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

/** A handler module loaded afresh under this environment: handlers read their configuration at load. */
async function loadHandler(
  name: 'sweeper' | 'publisher',
  env: Record<string, string>,
): Promise<StreamHandler> {
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, env);
  vi.resetModules();
  const module = (await import(`../../functions/${name}/index.ts`)) as { handler: StreamHandler };
  return module.handler;
}

let sweeper: StreamHandler;
const invoke = (handler: StreamHandler, records: DynamoDBRecord[]) =>
  handler(streamEvent(records), { functionName: 'test', awsRequestId: randomUUID() } as Context);

beforeAll(async () => {
  table = await streamTable('sweeper-test');
  sweeper = await loadHandler('sweeper', { TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: dynamoEndpoint });
});

afterAll(async () => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  await table?.drop();
});

async function aClient(): Promise<Client> {
  return storedClient(table.store, clock, 'sweeper test');
}

/** A grant through the domain; its raw tokens and their ids. */
async function aGrant(client: Client, subject?: string) {
  const grant = await issueGrant(table.store, clock, client, subject);
  recordSecrets({ access_token: grant.accessRaw, refresh_token: grant.refreshRaw });
  const raws = [grant.accessRaw, grant.refreshRaw];
  return {
    grantId: grant.grantId,
    refresh: grant.refresh,
    raws,
    // Its token items: the access token (the grant item holds the refresh token).
    ids: [hashSecret(grant.accessRaw)],
    key: `${GRANT_KEY_PREFIX}${grant.grantId}`,
  };
}

/** An access token item of a client, issued at `issuedAt`, optionally with a subject. */
async function anAccessToken(client: Client, issuedAt: number, subject?: string): Promise<string> {
  const record: TokenRecord = {
    id: hashSecret(mintSecret()),
    kind: 'access',
    clientId: client.clientId,
    scope: 'read',
    ...(subject !== undefined && { subject, subjectKey: subjectKeyOf(subject) }),
    issuedAt,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    grantType: 'external',
    refreshCount: 0,
    lastModifiedAt: issuedAt,
  };
  expect(await table.store.putAccessToken(record)).toBe(true);
  return record.id;
}

const stored = async (ids: readonly string[]) =>
  (await Promise.all(ids.map((id) => table.item(id)))).map((item) => item !== undefined);

/** The one record a write put on the stream. */
async function recordOf(write: () => Promise<unknown>): Promise<DynamoDBRecord> {
  const records = await table.recordsOf(write);
  expect(records).toHaveLength(1);
  return records[0] as DynamoDBRecord;
}

describe('sweeper: the table stream -> the revoked tokens deleted through the matching index', () => {
  it("deletes exactly a revoked grant's tokens, records the sweep with its count, and is idempotent", async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const other = await aGrant(client);
    let revocationId = '';
    const record = await recordOf(async () => {
      const revocation = await revokeForClient(
        table.store,
        clock,
        client,
        grant.refresh,
        'POST /oauth2/revoke',
      );
      revocationId = revocation?.event.id ?? '';
    });
    expect(keyOf(record)).toBe(`${GRANT_KEY_PREFIX}${grant.grantId}`);
    expect(await stored(grant.ids)).toEqual([true]);

    expect(await invoke(sweeper, [record])).toEqual({ batchItemFailures: [] });

    // The grant item stays: its mark is what keeps a token written later inactive, until TTL.
    expect(await stored([...grant.ids, grant.key])).toEqual([false, true]);
    expect(await stored([...other.ids, other.key])).toEqual([true, true]);
    expect(await table.item(`${SWEEP_KEY_PREFIX}${revocationId}`)).toMatchObject({
      [ATTR.sweepCount]: 1,
      [ATTR.sweepGrantId]: grant.grantId,
      [ATTR.sweepClientId]: client.clientId,
      [ATTR.sweptAt]: expect.any(Number),
    });
    // The same record again (a retried batch): nothing more deleted, the same sweep record rewritten.
    expect(await invoke(sweeper, [record])).toEqual({ batchItemFailures: [] });
    expect(await stored(other.ids)).toEqual([true]);
    expect(await table.item(`${SWEEP_KEY_PREFIX}${revocationId}`)).toMatchObject({ [ATTR.sweepCount]: 0 });
  });

  it("deletes a client's tokens issued at or before its cut-off only", async () => {
    const client = await aClient();
    const other = await aClient();
    const grant = await aGrant(client);
    const old = await anAccessToken(client, Date.now() - 60_000);
    const theirs = await anAccessToken(other, Date.now() - 60_000);
    let cutOff = 0;
    const record = await recordOf(async () => {
      cutOff =
        (await revokeClientTokens(table.store, clock, OPERATOR, client.clientId))?.tokensRevokedBefore ?? 0;
    });
    const after = await anAccessToken(client, cutOff + 1);
    const atCutOff = await anAccessToken(client, cutOff);

    expect(await invoke(sweeper, [record])).toEqual({ batchItemFailures: [] });

    // The grant with its tokens, through the grant: the grant item holds its refresh token.
    expect(await stored([...grant.ids, grant.key, old, atCutOff])).toEqual([false, false, false, false]);
    expect(await stored([after, theirs])).toEqual([true, true]);
  });

  it("deletes every token of a deleted client, whenever issued, and no other client's", async () => {
    const client = await aClient();
    const other = await aClient();
    const grant = await aGrant(client);
    const standalone = await anAccessToken(client, Date.now());
    const theirs = await aGrant(other);
    const record = await recordOf(() => deleteClient(table.store, clock, OPERATOR, client.clientId));
    const born = await anAccessToken(client, Date.now() + 1000);

    expect(await invoke(sweeper, [record])).toEqual({ batchItemFailures: [] });

    expect(await stored([...grant.ids, grant.key, standalone, born])).toEqual([false, false, false, false]);
    expect(await stored([...theirs.ids, theirs.key])).toEqual([true, true]);
  });

  it('sweeps a deleted client again when it is deleted again (a sweep that was lost), with no second revocation', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const standalone = await anAccessToken(client, Date.now());
    const first = await recordOf(() => deleteClient(table.store, clock, OPERATOR, client.clientId));
    // The first sweep is lost: the sweeper never sees that record. Deleting again: a 404, and one write.
    let again: unknown;
    const second = await recordOf(async () => {
      again = await deleteClient(table.store, clock, OPERATOR, client.clientId);
    });
    expect(again).toBeUndefined();
    expect(await stored([...grant.ids, grant.key, standalone])).toEqual([true, true, true]);

    expect(await invoke(sweeper, [second])).toEqual({ batchItemFailures: [] });

    expect(await stored([...grant.ids, grant.key, standalone])).toEqual([false, false, false]);
    // The sweep is recorded under the first deletion's revocation: the same sweep.completed, not a new one.
    const firstEvent = revocationOf(changeOf(first));
    expect(firstEvent?.type).toBe('client.deleted');
    expect(revocationOf(changeOf(second))).toBeUndefined();
    expect(await table.item(`${SWEEP_KEY_PREFIX}${firstEvent?.id}`)).toMatchObject({ [ATTR.sweepCount]: 3 });
  });

  it("deletes a subject's tokens of every client issued up to its cut-off, and no one else's", async () => {
    const subject = `subject-${randomUUID()}`;
    const [a, b] = [await aClient(), await aClient()];
    const ofA = await aGrant(a, subject);
    const ofB = await aGrant(b, subject);
    const someoneElse = await aGrant(a, `other-${randomUUID()}`);
    let cutOff = 0;
    const record = await recordOf(async () => {
      cutOff =
        (await revokeSubjectTokens(table.store, clock, OPERATOR, subject, subjectKeyOf))
          .tokensRevokedBefore ?? 0;
    });
    const later = await anAccessToken(a, cutOff + 1, subject);

    expect(await invoke(sweeper, [record])).toEqual({ batchItemFailures: [] });

    expect(await stored([...ofA.ids, ofA.key, ...ofB.ids, ofB.key])).toEqual([false, false, false, false]);
    expect(await stored([...someoneElse.ids, someoneElse.key])).toEqual([true, true]);
    // A token without a grant is keyed into its client's index only: inactive from the cut-off on, it is
    // left to its TTL (an access token lives a day at most). One issued after the cut-off is untouched.
    expect(await stored([later])).toEqual([true]);
  });

  it('skips what is no revocation, and reports a record it could not read as failed, alone', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const put = await recordOf(() => anAccessToken(client, Date.now()));
    // A grant revoked by a hand-made write that records no actor: no revocation can be read from it.
    const badGrantId = randomUUID();
    const corruptRecords = await table.recordsOf(async () => {
      const item = await table.item(`${GRANT_KEY_PREFIX}${grant.grantId}`);
      await table.put({ ...item, [PARTITION_KEY]: `${GRANT_KEY_PREFIX}${badGrantId}` });
      await table.put({ ...item, [PARTITION_KEY]: `${GRANT_KEY_PREFIX}${badGrantId}`, [ATTR.revokedAt]: 1 });
    });
    const corrupt = corruptRecords[1] as DynamoDBRecord;
    const revoked = await recordOf(() => revokeForClient(table.store, clock, client, grant.refresh));

    const response = await invoke(sweeper, [put, corrupt, revoked]);

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: corrupt.dynamodb?.SequenceNumber }],
    });
    expect(await stored(grant.ids)).toEqual([false]);
  });

  it('reports the record whose sweep DynamoDB refused as failed, and not the others', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const put = await recordOf(() => anAccessToken(client, Date.now()));
    const revoked = await recordOf(() => revokeForClient(table.store, clock, client, grant.refresh));
    // The same handler against a table that does not exist: the sweep's Query fails.
    const lost = await loadHandler('sweeper', {
      TABLE_NAME: `no-such-table-${randomUUID()}`,
      DYNAMODB_ENDPOINT: dynamoEndpoint,
    });

    const response = await invoke(lost, [put, revoked]);

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: revoked.dynamodb?.SequenceNumber }],
    });
    // Retried against the table, the record sweeps.
    expect(await invoke(sweeper, [revoked])).toEqual({ batchItemFailures: [] });
    expect(await stored(grant.ids)).toEqual([false]);
  });
});

describe('publisher: the table stream -> one webhook POST per revocation, as EventBridge delivers it', () => {
  /** A webhook that answers each POST with the next status given (200 once they run out). */
  async function webhook(statuses: number[] = []) {
    const bodies: string[] = [];
    const server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        bodies.push(body);
        response.writeHead(statuses.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/events`, bodies, close: () => server.close() };
  }

  it('posts the envelope of each revocation and of each finished sweep, in stream order, and never a raw token', async () => {
    const hook = await webhook();
    try {
      const publisher = await loadHandler('publisher', {
        TABLE_NAME: table.tableName,
        EVENTS_WEBHOOK_URL: hook.url,
      });
      const client = await aClient();
      const grant = await aGrant(client, 'erin');
      const revoked = await recordOf(() =>
        revokeForClient(table.store, clock, client, grant.refresh, 'POST /oauth2/revoke'),
      );
      // The sweeper's work: the access token's deletion and the sweep's record.
      const swept = await table.recordsOf(() => invoke(sweeper, [revoked]));
      expect(swept.map((r) => r.eventName)).toEqual(['REMOVE', 'INSERT']);
      const put = await recordOf(() => anAccessToken(client, Date.now()));
      const all = [revoked, ...swept, put];

      expect(await invoke(publisher, all)).toEqual({ batchItemFailures: [] });

      const envelopes = hook.bodies.map((body) => JSON.parse(body) as Record<string, unknown>);
      expect(envelopes.map((e) => e['detail-type'])).toEqual(['grant.revoked', 'sweep.completed']);
      const [revokedEnvelope, sweptEnvelope] = envelopes as [
        Record<string, unknown>,
        Record<string, unknown>,
      ];
      expect(revokedEnvelope).toEqual({
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        source: 'token-revocation',
        'detail-type': 'grant.revoked',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        region: 'us-east-1',
        account: '000000000000',
        resources: [],
        detail: {
          id: expect.any(String),
          time: expect.any(String),
          clientId: client.clientId,
          grantId: grant.grantId,
          subject: 'erin',
          tokenId: grant.refresh.id,
          actor: { type: 'client', id: client.clientId },
          route: 'POST /oauth2/revoke',
        },
      });
      const revokedId = (revokedEnvelope.detail as { id: string }).id;
      expect(sweptEnvelope.detail).toEqual({
        id: sweepEventId(revokedId),
        time: expect.any(String),
        clientId: client.clientId,
        grantId: grant.grantId,
        subject: 'erin',
        actor: { type: 'service', id: 'sweeper' },
        count: 1,
      });
      for (const body of hook.bodies) {
        for (const raw of grant.raws) expect(body).not.toContain(raw);
        // Nor the subject's key: the contract's detail has the subject, never its hash.
        expect(body).not.toContain(subjectKeyOf('erin'));
      }
    } finally {
      hook.close();
    }
  });

  it('reports a record as failed when the webhook refuses its event, so Lambda retries it', async () => {
    const hook = await webhook([503]);
    try {
      const publisher = await loadHandler('publisher', {
        TABLE_NAME: table.tableName,
        EVENTS_WEBHOOK_URL: hook.url,
      });
      const client = await aClient();
      const record = await recordOf(() => revokeClientTokens(table.store, clock, OPERATOR, client.clientId));

      expect(await invoke(publisher, [record])).toEqual({
        batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber }],
      });
      // Redelivered, the same event (same detail.id) goes through.
      expect(await invoke(publisher, [record])).toEqual({ batchItemFailures: [] });
      const details = hook.bodies.map((body) => (JSON.parse(body) as { detail: { id: string } }).detail.id);
      expect(details).toHaveLength(2);
      expect(details[1]).toBe(details[0]);
    } finally {
      hook.close();
    }
  });
});
