import { describe, expect, it } from 'vitest';
import { newClient } from '#commons/domain/clients.ts';
import { IdempotencyKeyReused, NotFound } from '#commons/domain/errors.ts';
import {
  createClientIdempotently,
  IDEMPOTENCY_WINDOW_SECONDS,
  requestFingerprint,
} from '#commons/domain/idempotency.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { testStore } from '#test/support/helpers.ts';

const store = testStore();
const OPERATOR = { type: 'iam', id: 'arn:aws:iam::000000000000:user/idempotency-test' } as const;
const REGISTRATION = { name: 'idempotency test' };
const keyOf = (body: unknown) => ({
  keyHash: hashSecret(`key-${crypto.randomUUID()}`),
  requestHash: requestFingerprint(body),
});
/** A clock standing at `ms`, so the 24-hour window can be crossed without waiting. */
const at = (ms: number) => () => ms;

describe('idempotent client registration (domain against DynamoDB Local)', () => {
  it('replays within the window and refuses another body with the key', async () => {
    const t0 = Date.now();
    const key = keyOf({ name: 'a' });
    const first = await createClientIdempotently(store, at(t0), REGISTRATION, key);
    expect(first.replayed).toBe(false);
    const lastSecond = at(t0 + (IDEMPOTENCY_WINDOW_SECONDS - 2) * 1000);
    const again = await createClientIdempotently(store, lastSecond, REGISTRATION, key);
    expect(again).toEqual({ replayed: true, client: first.client });
    await expect(
      createClientIdempotently(store, lastSecond, REGISTRATION, {
        ...key,
        requestHash: requestFingerprint({}),
      }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReused);
  });

  it('treats a record past its expiresAt as absent, though TTL has not deleted it yet: a new client', async () => {
    const t0 = Date.now();
    const key = keyOf({ name: 'b' });
    const first = await createClientIdempotently(store, at(t0), REGISTRATION, key);
    const expired = at(t0 + (IDEMPOTENCY_WINDOW_SECONDS + 1) * 1000);
    // Even with another body: the old record no longer binds the key.
    const other = { ...key, requestHash: requestFingerprint({ name: 'other' }) };
    const second = await createClientIdempotently(store, expired, REGISTRATION, other);
    expect(second.replayed).toBe(false);
    expect(second.client.clientId).not.toBe(first.client.clientId);
    const record = await store.getIdempotencyRecord(key.keyHash);
    expect(record).toMatchObject({ clientId: second.client.clientId, requestHash: other.requestHash });
    // The overwritten record now binds the key to the new client and body.
    const replay = await createClientIdempotently(store, expired, REGISTRATION, other);
    expect(replay).toMatchObject({ replayed: true, client: { clientId: second.client.clientId } });
  });

  it('writes the record and the client together or not at all', async () => {
    const t0 = Date.now();
    const key = keyOf({ name: 'c' });
    const { client } = newClient(REGISTRATION, t0);
    const record = { ...key, clientId: client.clientId, expiresAt: Math.floor(t0 / 1000) + 60 };
    expect(await store.createClientOnce(client, record, Math.floor(t0 / 1000))).toBe(true);
    // The same key again, for another client: refused, and that client was not written either.
    const { client: loser } = newClient(REGISTRATION, t0);
    const taken = { ...record, clientId: loser.clientId };
    expect(await store.createClientOnce(loser, taken, Math.floor(t0 / 1000))).toBe(false);
    expect(await store.getClient(loser.clientId)).toBeUndefined();
    expect(await store.getClient(client.clientId)).toEqual(client);
  });

  it('lets exactly one of many racing transactions on one key through', async () => {
    const t0 = Date.now();
    const key = keyOf({ name: 'd' });
    const clients = Array.from({ length: 10 }, () => newClient(REGISTRATION, t0).client);
    const outcomes = await Promise.all(
      clients.map((client) =>
        store.createClientOnce(
          client,
          { ...key, clientId: client.clientId, expiresAt: Math.floor(t0 / 1000) + 60 },
          Math.floor(t0 / 1000),
        ),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const winner = clients[outcomes.indexOf(true)];
    expect((await store.getIdempotencyRecord(key.keyHash))?.clientId).toBe(winner?.clientId);
  });

  it('answers NotFound when the client the key created is gone', async () => {
    const t0 = Date.now();
    const key = keyOf({ name: 'e' });
    const first = await createClientIdempotently(store, at(t0), REGISTRATION, key);
    await store.deleteClient(first.client.clientId, { actor: OPERATOR, at: Date.now() });
    await expect(createClientIdempotently(store, at(t0), REGISTRATION, key)).rejects.toBeInstanceOf(NotFound);
  });
});

describe('request fingerprint', () => {
  it('ignores key order and spacing, at every level, but nothing else', () => {
    expect(requestFingerprint(JSON.parse('{"a":1,"b":{"x":[1,2],"y":"z"}}'))).toBe(
      requestFingerprint(JSON.parse('{ "b": { "y": "z", "x": [1, 2] }, "a": 1 }')),
    );
    expect(requestFingerprint({ a: [1, 2] })).not.toBe(requestFingerprint({ a: [2, 1] }));
    expect(requestFingerprint({ a: '1' })).not.toBe(requestFingerprint({ a: 1 }));
    expect(requestFingerprint({ a: 1 })).not.toBe(requestFingerprint({ a: 1, b: null }));
  });
});
