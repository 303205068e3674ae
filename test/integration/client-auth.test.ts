import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { authenticateClient, type PresentedCredentials } from '#commons/domain/client-auth.ts';
import { ClientCache } from '#commons/domain/client-cache.ts';
import { newClient } from '#commons/domain/clients.ts';
import { InvalidClient, InvalidInput, InvalidRequest, NotFound } from '#commons/domain/errors.ts';
import type { Client } from '#commons/domain/model.ts';
import { rotateClientSecret } from '#commons/domain/secret-rotation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { clientKey } from '#commons/store/items.ts';
import { dynamoEndpoint, recordSecrets, tableName, testStore } from '#test/support/helpers.ts';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';

const store = testStore();

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  let now = start;
  return {
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A cache over the real store that counts the reads it sends. */
function countingCache(clock: () => number, ttlMs: number, maxEntries?: number) {
  const reads = { count: 0 };
  const cache = new ClientCache({
    read: (clientId) => {
      reads.count++;
      return store.getClient(clientId);
    },
    clock,
    ttlMs,
    ...(maxEntries !== undefined && { maxEntries }),
  });
  return { cache, reads };
}

async function registered(isPublic = false): Promise<{ client: Client; secret: string }> {
  const { client, secret } = newClient({ name: 'client auth test', public: isPublic }, Date.now());
  expect(await store.createClient(client)).toBe(true);
  recordSecrets({ clientSecret: secret });
  return { client, secret: secret ?? '' };
}

const basic = (clientId: string, secret: string): PresentedCredentials => ({
  clientId,
  secret,
  method: 'client_secret_basic',
});

/** Whether the credentials authenticate (false for InvalidClient; anything else is thrown on). */
async function accepted(
  lookup: ClientCache,
  clock: () => number,
  presented: PresentedCredentials,
): Promise<boolean> {
  try {
    await authenticateClient(lookup, clock, presented);
    return true;
  } catch (error) {
    if (error instanceof InvalidClient) return false;
    throw error;
  }
}

async function rawItem(clientId: string): Promise<Record<string, unknown> | undefined> {
  const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamoEndpoint));
  const { Item } = await doc.send(
    new GetCommand({ TableName: tableName, Key: clientKey(clientId), ConsistentRead: true }),
  );
  doc.destroy();
  return Item;
}

describe('client cache (against DynamoDB Local)', () => {
  it('serves an item it read for at most its ttl, then reads again', async () => {
    const { client } = await registered();
    const { clock, advance } = manualClock();
    const { cache, reads } = countingCache(clock, 5000);
    expect(await cache.lookup(client.clientId)).toEqual({ client, cached: false });
    advance(4999);
    expect(await cache.lookup(client.clientId)).toEqual({ client, cached: true });
    expect(reads.count).toBe(1);
    advance(1);
    expect((await cache.lookup(client.clientId)).cached).toBe(false);
    expect(reads.count).toBe(2);
  });

  it('reads every time with a ttl of 0, and never remembers an unknown client', async () => {
    const { client } = await registered();
    const { clock } = manualClock();
    const disabled = countingCache(clock, 0);
    await disabled.cache.lookup(client.clientId);
    expect(await disabled.cache.lookup(client.clientId)).toEqual({ client, cached: false });
    expect(disabled.reads.count).toBe(2);

    const enabled = countingCache(clock, 5000);
    expect(await enabled.cache.lookup('no-such-client')).toEqual({ client: undefined, cached: false });
    expect(await enabled.cache.lookup('no-such-client')).toEqual({ client: undefined, cached: false });
    expect(enabled.reads.count).toBe(2);
    expect(enabled.cache.size).toBe(0);
  });

  it('holds at most maxEntries items, dropping the oldest read first', async () => {
    const clients = await Promise.all([registered(), registered(), registered()]);
    const { clock, advance } = manualClock();
    const { cache, reads } = countingCache(clock, 60_000, 2);
    for (const { client } of clients) {
      await cache.lookup(client.clientId);
      advance(1);
    }
    expect(cache.size).toBe(2);
    const [first, , last] = clients;
    expect((await cache.lookup(last?.client.clientId ?? '')).cached).toBe(true);
    expect((await cache.lookup(first?.client.clientId ?? '')).cached).toBe(false);
    expect(reads.count).toBe(4);
  });
});

describe('authentication with the cache and secret rotation (against DynamoDB Local)', () => {
  it('accepts a just-rotated secret at once: a failure against a cached item is re-read before it counts', async () => {
    const { client, secret } = await registered();
    const { clock } = manualClock();
    const { cache, reads } = countingCache(clock, 5000);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(true);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(true);
    expect(reads.count).toBe(1);

    const rotated = await rotateClientSecret(store, clock, client.clientId, 0);
    recordSecrets({ clientSecret: rotated });
    expect(await accepted(cache, clock, basic(client.clientId, rotated))).toBe(true);
    expect(reads.count).toBe(2);
    // The re-read replaced the stale item: the old secret now fails against the fresh one.
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(false);
  });

  it('may accept the old secret from an item cached before the rotation, for at most the cache window', async () => {
    const { client, secret } = await registered();
    const { clock, advance } = manualClock();
    const { cache } = countingCache(clock, 5000);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(true);
    await rotateClientSecret(store, clock, client.clientId, 0);
    // The documented staleness: the item read before the rotation still holds the old hash.
    advance(4999);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(true);
    advance(1);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(false);
  });

  it('accepts the previous secret during its grace and never after, with or without a cache', async () => {
    const { client, secret } = await registered();
    const { clock, advance } = manualClock();
    const rotated = await rotateClientSecret(store, clock, client.clientId, 60);
    recordSecrets({ clientSecret: rotated });
    for (const ttlMs of [0, 5000]) {
      const { cache } = countingCache(clock, ttlMs);
      expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(true);
      expect(await accepted(cache, clock, basic(client.clientId, rotated))).toBe(true);
    }
    advance(59_999);
    const { cache } = countingCache(clock, 5000);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(true);
    advance(1);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(false);
    expect(await accepted(cache, clock, basic(client.clientId, rotated))).toBe(true);
  });

  it('keeps only one previous secret: a second rotation retires the first secret at once', async () => {
    const { client, secret } = await registered();
    const { clock } = manualClock();
    const second = await rotateClientSecret(store, clock, client.clientId, 3600);
    const third = await rotateClientSecret(store, clock, client.clientId, 3600);
    recordSecrets({ clientSecret: second });
    recordSecrets({ clientSecret: third });
    const { cache } = countingCache(clock, 0);
    expect(await accepted(cache, clock, basic(client.clientId, secret))).toBe(false);
    expect(await accepted(cache, clock, basic(client.clientId, second))).toBe(true);
    expect(await accepted(cache, clock, basic(client.clientId, third))).toBe(true);
  });

  it('stores both secrets only as hashes, and forgets the previous one on a rotation without grace', async () => {
    const { client, secret } = await registered();
    const { clock } = manualClock();
    const rotated = await rotateClientSecret(store, clock, client.clientId, 120);
    recordSecrets({ clientSecret: rotated });
    const item = await rawItem(client.clientId);
    expect(item).toMatchObject({
      secretHash: hashSecret(rotated),
      previousSecretHash: hashSecret(secret),
      previousSecretExpiresAt: clock() + 120_000,
    });
    const dump = JSON.stringify(item);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(rotated);
    expect(await store.getClient(client.clientId)).toMatchObject({
      previousSecretHash: hashSecret(secret),
      previousSecretExpiresAt: clock() + 120_000,
    });

    const last = await rotateClientSecret(store, clock, client.clientId, 0);
    recordSecrets({ clientSecret: last });
    const after = await rawItem(client.clientId);
    expect(after?.secretHash).toBe(hashSecret(last));
    expect(after).not.toHaveProperty('previousSecretHash');
    expect(after).not.toHaveProperty('previousSecretExpiresAt');
  });

  it('refuses to rotate an unknown client (NotFound), a public one (InvalidRequest) or a bad grace', async () => {
    const { client } = await registered(true);
    const clock = () => Date.now();
    await expect(rotateClientSecret(store, clock, 'no-such-client', 0)).rejects.toBeInstanceOf(NotFound);
    await expect(rotateClientSecret(store, clock, 'x'.repeat(129), 0)).rejects.toBeInstanceOf(NotFound);
    await expect(rotateClientSecret(store, clock, client.clientId, 0)).rejects.toBeInstanceOf(InvalidRequest);
    for (const grace of [-1, 86_401, 1.5]) {
      await expect(rotateClientSecret(store, clock, client.clientId, grace)).rejects.toBeInstanceOf(
        InvalidInput,
      );
    }
    // The public client is untouched: still no secret of any kind.
    expect(await rawItem(client.clientId)).not.toHaveProperty('secretHash');
    expect(await store.rotateClientSecret('no-such-client', { secretHash: 'h' })).toBe('missing');
    expect(await store.rotateClientSecret(client.clientId, { secretHash: 'h' })).toBe('public');
  });
});
