import { describe, expect, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import {
  ADMIN,
  admin,
  baseUrl,
  clientCredentials,
  type RegisteredClient,
  recordSecrets,
  testStore,
} from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';

/** `POST /admin/clients` with an Idempotency-Key (signed, as the header is part of the request). */
async function create(key: string, body: unknown) {
  const response = await adminRequest(baseUrl, 'POST', '/admin/clients', ADMIN, {
    body,
    headers: { 'Idempotency-Key': key },
  });
  recordSecrets(response.json);
  return response;
}

const uniqueKey = () => `key-${crypto.randomUUID()}`;
const BODY = { name: 'idempotent', grantTypes: ['client_credentials', 'refresh_token'], scopes: ['read'] };

describe('POST /admin/clients with an Idempotency-Key', () => {
  it('answers a retry with 200 and the client it created, exactly as GET shows it, without the secret', async () => {
    const key = uniqueKey();
    const first = await create(key, BODY);
    expect(first.status).toBe(201);
    const created = first.json as RegisteredClient;
    expect(created.clientSecret).toEqual(expect.any(String));

    const retry = await create(key, BODY);
    expect(retry.status).toBe(200);
    const shown = await admin('GET', `/admin/clients/${created.clientId}`);
    expect(shown.status).toBe(200);
    expect(retry.json).toEqual(shown.json);
    expect(retry.json).not.toHaveProperty('clientSecret');
    expect(retry.json).toMatchObject({ clientId: created.clientId, name: 'idempotent', scopes: ['read'] });
    expect(retry.headers.get('cache-control')).toBe('no-store');
    // The secret of the one client the key made is the one the first response showed.
    expect(await clientCredentials(created)).toMatchObject({ token_type: 'Bearer' });
  });

  it('takes a retry whose JSON differs only in key order as the same request', async () => {
    const key = uniqueKey();
    const first = await create(key, { name: 'ordered', scopes: ['a', 'b'], public: false });
    expect(first.status).toBe(201);
    const retry = await create(key, { public: false, scopes: ['a', 'b'], name: 'ordered' });
    expect(retry.status).toBe(200);
    expect((retry.json as RegisteredClient).clientId).toBe((first.json as RegisteredClient).clientId);
  });

  it('answers 422 {"message"} to the same key with a different body, and creates nothing', async () => {
    const key = uniqueKey();
    const first = await create(key, BODY);
    expect(first.status).toBe(201);
    for (const other of [
      { ...BODY, name: 'another name' },
      { ...BODY, scopes: ['read', 'write'] },
      { ...BODY, public: false },
    ]) {
      const reused = await create(key, other);
      expect(reused.status).toBe(422);
      expect(reused.json).toEqual({ message: expect.stringMatching(/Idempotency-Key/) });
      expect(reused.headers.get('cache-control')).toBe('no-store');
    }
    // The key still holds the first client.
    expect(((await create(key, BODY)).json as RegisteredClient).clientId).toBe(
      (first.json as RegisteredClient).clientId,
    );
  });

  it('gives exactly one of 10 concurrent creates with one key the 201; the others 200 with that client', async () => {
    const key = uniqueKey();
    const responses = await Promise.all(Array.from({ length: 10 }, () => create(key, BODY)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(responses.map((r) => (r.json as RegisteredClient).clientId));
    expect(ids.size).toBe(1);
    const winner = responses.find((r) => r.status === 201)?.json as RegisteredClient;
    expect(await clientCredentials(winner)).toMatchObject({ token_type: 'Bearer' });
    for (const replay of responses.filter((r) => r.status === 200)) {
      expect(replay.json).not.toHaveProperty('clientSecret');
    }
  });

  it('creates one client per key: different keys with one body make different clients', async () => {
    const [a, b] = await Promise.all([create(uniqueKey(), BODY), create(uniqueKey(), BODY)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((a.json as RegisteredClient).clientId).not.toBe((b.json as RegisteredClient).clientId);
  });

  it('keeps the key when every token of its client is revoked: its record is not one of the client’s tokens', async () => {
    const key = uniqueKey();
    const created = (await create(key, BODY)).json as RegisteredClient;
    await clientCredentials(created);
    expect((await admin('DELETE', `/admin/clients/${created.clientId}/tokens`)).status).toBe(200);
    const retry = await create(key, BODY);
    expect(retry.status).toBe(200);
    expect((retry.json as RegisteredClient).clientId).toBe(created.clientId);
  });

  it('answers a retry 404, as GET does, once the client the key created was deleted; it makes no second one', async () => {
    const key = uniqueKey();
    const created = (await create(key, BODY)).json as RegisteredClient;
    expect((await admin('DELETE', `/admin/clients/${created.clientId}`)).status).toBe(200);
    const retry = await create(key, BODY);
    expect(retry.status).toBe(404);
    expect(retry.json).toEqual({ message: 'client not found' });
  });

  it('spends no key on an invalid body: 400, and the key then creates the valid client', async () => {
    const key = uniqueKey();
    const invalid = await create(key, { name: 'x', public: true, grantTypes: ['client_credentials'] });
    expect(invalid.status).toBe(400);
    expect((await create(key, BODY)).status).toBe(201);
  });

  it('accepts a key of 255 characters and refuses a longer or empty one with 400 naming the header', async () => {
    const longest = `${crypto.randomUUID()}${'k'.repeat(255 - 36)}`;
    expect((await create(longest, BODY)).status).toBe(201);
    for (const key of [`${longest}k`, '']) {
      const refused = await create(key, BODY);
      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({ message: expect.stringContaining('"Idempotency-Key"') });
    }
  });

  it('stores the key only as a hash, with the created client and a 24-hour expiry', async () => {
    const key = uniqueKey();
    const before = Math.floor(Date.now() / 1000);
    const created = (await create(key, BODY)).json as RegisteredClient;
    const record = await testStore().getIdempotencyRecord(hashSecret(key));
    expect(record?.clientId).toBe(created.clientId);
    expect(record?.expiresAt).toBeGreaterThanOrEqual(before + 24 * 3600);
    expect(record?.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 24 * 3600);
    expect(JSON.stringify(record)).not.toContain(key);
  });

  it('leaves a create without the header as it was: every call a new client', async () => {
    const [a, b] = await Promise.all([
      admin('POST', '/admin/clients', BODY),
      admin('POST', '/admin/clients', BODY),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((a.json as RegisteredClient).clientId).not.toBe((b.json as RegisteredClient).clientId);
  });
});
