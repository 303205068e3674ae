import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newClient } from '#commons/domain/clients.ts';
import { InvalidInput } from '#commons/domain/errors.ts';
import type { Client } from '#commons/domain/model.ts';
import { ATTR, PARTITION_KEY, REGISTRY_INDEX } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { issueGrant, storedClient } from '#test/support/grants.ts';
import { dynamoEndpoint } from '#test/support/helpers.ts';
import { type StreamTable, streamTable } from '#test/support/table-stream.ts';

const clock = () => Date.now();
const OPERATOR = { actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/list-test' } } as const;

interface Sent {
  command: string;
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
}

/** Contract [v3]: `GET /admin/clients` pages through clients; its cost grows with clients, never tokens. */
describe('listing clients (store, against DynamoDB Local)', () => {
  let table: StreamTable;
  let store: DynamoStore;
  const sent: Sent[] = [];
  const live: Client[] = [];
  let deleted: Client;
  let pending: Client;

  beforeAll(async () => {
    table = await streamTable('list-clients');
    // A store of its own on the fresh table, whose client records what it sends and what comes back.
    const dynamo = createDynamoClient({ endpoint: dynamoEndpoint });
    dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        sent.push({
          command: String(context.commandName),
          input: args.input as Record<string, unknown>,
          output: result.output as unknown as Record<string, unknown>,
        });
        return result;
      },
      { step: 'initialize', name: 'recordForListTest' },
    );
    store = new DynamoStore({ tableName: table.tableName, client: dynamo });
    for (let i = 0; i < 5; i++) live.push(await storedClient(table.store, clock, `listed ${i}`));
    deleted = await storedClient(table.store, clock, 'deleted');
    await table.store.deleteClient(deleted.clientId, { ...OPERATOR, at: clock() });
    // A create answered 503 and never confirmed: absent to every read, the listing's included.
    pending = newClient({ name: 'unconfirmed' }, clock()).client;
    await table.store.createClient(pending, { nonce: 'n', expiresAt: Math.floor(clock() / 1000) + 60 });
    // Tokens, many more than clients: a listing must read none of them.
    for (const client of live.slice(0, 2)) {
      for (let i = 0; i < 30; i++) await issueGrant(table.store, clock, client, `user-${i}`);
    }
    sent.length = 0;
  }, 60_000);
  afterAll(async () => table?.drop());

  it('lists every live client once, across pages, without deleted or unconfirmed ones', async () => {
    const seen: Client[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listClients(2, cursor);
      expect(page.clients.length).toBeLessThanOrEqual(2);
      seen.push(...page.clients);
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined && pages < 20);
    expect(seen.map((c) => c.clientId).sort()).toEqual(live.map((c) => c.clientId).sort());
    expect(seen.map((c) => c.clientId)).not.toContain(deleted.clientId);
    expect(seen.map((c) => c.clientId)).not.toContain(pending.clientId);
    // The clients are read whole: as a GET reads them.
    for (const client of seen) expect(client).toEqual(await table.store.getClient(client.clientId));
  });

  it('reads only the registry index and client items, never a token: one page of 100 holds them all', async () => {
    sent.length = 0;
    const page = await store.listClients(100);
    expect(page.clients).toHaveLength(live.length);
    expect(page.cursor).toBeUndefined();
    expect(sent.map((s) => s.command)).toEqual(['QueryCommand', 'BatchGetItemCommand']);
    const [query, batch] = sent;
    expect(query?.input).toMatchObject({ IndexName: REGISTRY_INDEX.indexName });
    // Only the clients' index entries were scanned (60 grants' tokens are in the table).
    expect(query?.output?.ScannedCount).toBe(live.length + 1);
    const requested = batch?.input.RequestItems as Record<string, { Keys: Record<string, string>[] }>;
    const keys = (requested[table.tableName]?.Keys ?? []).map((key) => key[PARTITION_KEY]);
    expect(keys).toHaveLength(live.length + 1);
    expect(keys.every((key) => key?.startsWith('client#'))).toBe(true);
  });

  it('puts client items in the registry index and no token, grant or tombstone', async () => {
    const client = live[0] as Client;
    expect((await table.item(`client#${client.clientId}`))?.[ATTR.registry]).toBe('client');
    expect((await table.item(`client#${deleted.clientId}`))?.[ATTR.registry]).toBeUndefined();
  });

  it('refuses a cursor it did not hand out, naming the cursor, before any read', async () => {
    sent.length = 0;
    for (const cursor of [
      'not a cursor',
      Buffer.from('grant#x').toString('base64url'),
      'AAAA',
      'x'.repeat(300),
    ]) {
      await expect(store.listClients(10, cursor)).rejects.toThrow(InvalidInput);
      await expect(store.listClients(10, cursor)).rejects.toThrow(/"cursor"/);
    }
    expect(sent).toEqual([]);
  });
});
