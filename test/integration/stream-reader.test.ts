/**
 * The local stream readers (tools/local/stream-reader.ts) on a table of their own in the suite's DynamoDB
 * Local, running the real sweeper and publisher in this process against a webhook that refuses some
 * deliveries: a refused event is retried with the same `detail.id` until accepted, a batch that keeps
 * failing is given up after the bounded retries and the reader goes on; the manifest's filters decide
 * what reaches each function.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newClient } from '#commons/domain/clients.ts';
import { type Client, systemClock } from '#commons/domain/model.ts';
import { revokeAccessToken } from '#commons/domain/revocation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { clientCredentialsGrant } from '#commons/domain/tokens.ts';
import { webhookSink } from '#commons/event-delivery/sinks.ts';
import { functionEntry, STREAM_FUNCTIONS } from '#commons/manifest.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { createHandler as createPublisher } from '#functions/publisher/handler.ts';
import { createHandler as createSweeper } from '#functions/sweeper/handler.ts';
import { dynamoEndpoint } from '#test/support/helpers.ts';
import { openTokenStore } from '#tools/local/dependencies.ts';
import { ensureTable } from '#tools/local/dynamodb-local.ts';
import { passesFilters } from '#tools/local/stream-filter.ts';
import { type StreamHandler, type StreamReaders, startStreamReaders } from '#tools/local/stream-reader.ts';
import { openTable } from '#wiring/table.ts';

const TABLE = `stream-reader-${randomUUID().slice(0, 8)}`;

interface Delivery {
  readonly envelopeId: string;
  readonly detailId: string;
  readonly tokenId?: string;
  readonly accepted: boolean;
}

/** Every POST the webhook got; it refuses (500) the events of `refuse` while their budget lasts. */
const deliveries: Delivery[] = [];
const refuse = new Map<string, number>();
let webhook: Server;
let readers: StreamReaders;
let store: DynamoStore;
let client: Client;

beforeAll(async () => {
  webhook = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const tokenId = envelope.detail.tokenId as string | undefined;
      const left = tokenId === undefined ? 0 : (refuse.get(tokenId) ?? 0);
      if (left > 0 && tokenId !== undefined) refuse.set(tokenId, left - 1);
      deliveries.push({
        envelopeId: envelope.id,
        detailId: envelope.detail.id,
        tokenId,
        accepted: left === 0,
      });
      response.writeHead(left > 0 ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  await ensureTable(dynamoEndpoint, TABLE);
  // The real sweeper and publisher, built by their factories as `npm start` builds them: the publisher
  // with the webhook and no outbox, so a refused event fails its batch and is retried.
  const table = openTable({ tableName: TABLE, dynamoDbEndpoint: dynamoEndpoint });
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/events`;
  const handlers: Record<string, unknown> = {
    sweeper: createSweeper({ sweepStore: openTokenStore(table), clock: systemClock }),
    publisher: createPublisher({
      events: {
        deliver: webhookSink(webhookUrl),
        keep: undefined,
        outboxDir: undefined,
        sinks: [],
        onBus: false,
      },
    }),
  };
  const consumers = STREAM_FUNCTIONS.map((entry) => ({
    entry,
    handler: handlers[entry.name] as StreamHandler,
  }));
  readers = await startStreamReaders(
    { endpoint: dynamoEndpoint, tableName: TABLE, retryBackoffMs: 10 },
    consumers,
  );
  store = new DynamoStore({ tableName: TABLE, client: createDynamoClient({ endpoint: dynamoEndpoint }) });
  client = newClient({ name: 'stream reader test', grantTypes: ['client_credentials'] }, Date.now()).client;
  await store.createClient(client);
});

afterAll(async () => {
  await readers?.stop();
  webhook?.closeAllConnections();
  webhook?.close();
});

/** Issues an access token; `refused` deliveries of its event will be answered 500. Returns its id. */
async function issuedToken(refused = 0): Promise<string> {
  const issued = await clientCredentialsGrant(store, Date.now, client);
  const id = hashSecret(issued.response.access_token);
  refuse.set(id, refused);
  return id;
}

/** Revokes it as its client would (one write; the event follows from the stream). */
async function revoke(tokenId: string): Promise<void> {
  const revoker = { actor: { type: 'client', id: client.clientId }, route: 'POST /oauth2/revoke' } as const;
  expect(await revokeAccessToken(store, Date.now, revoker, tokenId)).toBeDefined();
}

const of = (tokenId: string) => deliveries.filter((delivery) => delivery.tokenId === tokenId);

/** Polls until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the webhook');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('local stream readers', () => {
  it('retries a refused event with the same detail.id until the webhook takes it', async () => {
    const tokenId = await issuedToken(2);
    await revoke(tokenId);

    await until(() => of(tokenId).some((delivery) => delivery.accepted));

    const attempts = of(tokenId);
    expect(attempts.map((delivery) => delivery.accepted)).toEqual([false, false, true]);
    // One event (consumers deduplicate on detail.id), three deliveries (each its own envelope id).
    expect(new Set(attempts.map((delivery) => delivery.detailId)).size).toBe(1);
    expect(new Set(attempts.map((delivery) => delivery.envelopeId)).size).toBe(3);
  });

  it('gives a batch up after 3 retries and goes on with the next records', async () => {
    const poison = await issuedToken(Number.POSITIVE_INFINITY);
    await revoke(poison);
    // Written once the poison's retries are spent, so it is not redelivered with the poison's batch.
    await until(() => of(poison).length >= 4);
    const next = await issuedToken();
    await revoke(next);

    await until(() => of(next).length > 0);

    expect(of(poison)).toHaveLength(4);
    expect(of(poison).every((delivery) => !delivery.accepted)).toBe(true);
    expect(of(next).map((delivery) => delivery.accepted)).toEqual([true]);
  });

  it("lets through only the records the manifest's filters match", () => {
    const publisher = functionEntry('publisher');
    const sweeper = functionEntry('sweeper');
    if (publisher.trigger.type !== 'stream' || sweeper.trigger.type !== 'stream')
      throw new Error('no stream');
    const record = (eventName: string, pk: string, newImage: object, oldImage?: object) => ({
      eventName,
      dynamodb: {
        Keys: { pk: { S: pk } },
        NewImage: { pk: { S: pk }, ...newImage },
        ...(oldImage && { OldImage: { pk: { S: pk }, ...oldImage } }),
      },
    });
    const tokenRevoked = record('MODIFY', 'abc', { revokedAt: { N: '1' } }, {});
    const tokenIssued = record('INSERT', 'abc', { expiresAt: { N: '2' } });
    const grantRevoked = record('MODIFY', 'grant#g', { revokedAt: { N: '1' } }, {});
    const grantRevokedAgain = record(
      'MODIFY',
      'grant#g',
      { revokedAt: { N: '1' } },
      { revokedAt: { N: '1' } },
    );
    const sweepRecorded = record('INSERT', 'sweep#s', { count: { N: '3' } });
    expect(passesFilters(publisher.trigger.filters, tokenRevoked)).toBe(true);
    expect(passesFilters(publisher.trigger.filters, tokenIssued)).toBe(false);
    expect(passesFilters(publisher.trigger.filters, grantRevokedAgain)).toBe(false);
    expect(passesFilters(publisher.trigger.filters, sweepRecorded)).toBe(true);
    expect(passesFilters(sweeper.trigger.filters, grantRevoked)).toBe(true);
    expect(passesFilters(sweeper.trigger.filters, tokenRevoked)).toBe(false);
    expect(passesFilters(sweeper.trigger.filters, sweepRecorded)).toBe(false);
  });
});
