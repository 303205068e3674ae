/**
 * Revocation events end to end: every revocation route's write reaches the suite's events webhook through
 * DynamoDB Local's stream, the in-process stream readers and the real publisher (and the sweeper, whose
 * `sweep.completed` follows), exactly once, in order per item, and fast. The collector's record is the
 * only source: no fixed sleeps, every wait polls it.
 */
import { readFileSync } from 'node:fs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REVOCATION_TYPES } from '#commons/domain/events.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { tokenKey } from '#commons/store/items.ts';
import {
  detailOf,
  eventValidator,
  type ReceivedEvent,
  receivedEvents,
  waitForEvents,
} from '#test/support/events.ts';
import {
  admin,
  call,
  clientCredentials,
  dynamoEndpoint,
  grantTokens,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  tableName,
} from '#test/support/helpers.ts';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';

const file = inject('eventsFile');
/** The local server's SigV4 admin principal, as the admin routes record it. */
const LOCAL_ADMIN = { type: 'iam', id: 'arn:aws:iam::000000000000:user/local-admin' };
const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamoEndpoint));

afterAll(() => doc.destroy());

type Detail = Record<string, unknown>;
const typeOf = (event: ReceivedEvent) => event.envelope['detail-type'];
const is = (type: string, match: (detail: Detail) => boolean) => (event: ReceivedEvent) =>
  typeOf(event) === type && match(detailOf(event));

/** The events of one type whose detail matches, once there is at least one. */
const eventsOf = (type: string, match: (detail: Detail) => boolean) => waitForEvents(file, is(type, match));

/** A client whose access tokens mark a point in the stream (see `barrier`). */
let marker: RegisteredClient;

beforeAll(async () => {
  marker = await registerClient({ name: 'events barrier' });
});

/**
 * Waits until everything written to the table so far has been published: revokes a fresh token and waits
 * for its event. The table's stream has one shard locally and the publisher handles its batches one after
 * the other, in stream order, retries included, so once the barrier's event is in, any earlier event
 * (and any redelivery of it) is in too. Then "exactly once" can be counted.
 */
async function barrier(): Promise<void> {
  const { access_token: token } = await clientCredentials(marker);
  expect(
    (await postForm('/oauth2/revoke', { token }, { auth: [marker.clientId, marker.clientSecret] })).status,
  ).toBe(200);
  await eventsOf('token.revoked', (detail) => detail.tokenId === hashSecret(token));
}

/** The one event of a type matching `match`, after a barrier proves no second one is on its way. */
async function exactlyOne(type: string, match: (detail: Detail) => boolean): Promise<ReceivedEvent> {
  await eventsOf(type, match);
  await barrier();
  const all = receivedEvents(file).filter(is(type, match));
  expect(all).toHaveLength(1);
  return all[0] as ReceivedEvent;
}

/** Which of these token ids still have an item in the table (a tombstone counts: it is an item). */
async function remainingItems(ids: readonly string[]): Promise<string[]> {
  const result = await doc.send(
    new BatchGetCommand({ RequestItems: { [tableName]: { Keys: ids.map(tokenKey), ConsistentRead: true } } }),
  );
  return (result.Responses?.[tableName] ?? []).map((item) => String(item.pk));
}

/** No raw token (or its random part) anywhere in what the webhook received. */
function expectNoRawToken(event: ReceivedEvent, ...tokens: string[]): void {
  const raw = JSON.stringify(event);
  for (const token of tokens) {
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(token.split('.')[3] ?? token);
  }
}

const validate = eventValidator();
/** Every event checked here also matches the documented schema (the global teardown checks them all). */
function expectValid(...events: ReceivedEvent[]): void {
  for (const event of events) expect(validate(event.envelope)).toBeUndefined();
}

/**
 * A grant of three tokens: its first access token, its refresh token (held by the grant item) and one
 * refreshed access token; two token items.
 */
async function grantOfThree(client: RegisteredClient, subject?: string) {
  const tokens = await grantTokens(client, subject === undefined ? {} : { subject });
  const refreshed = await refresh(client, tokens.refresh_token);
  expect(refreshed.status).toBe(200);
  const second = (refreshed.json as { access_token: string }).access_token;
  const grantId = tokens.refresh_token.slice(7).split('.')[1] as string;
  return {
    ...tokens,
    second,
    grantId,
    ids: [tokens.access_token, tokens.refresh_token, second].map(hashSecret),
  };
}

const unique = (name: string) => `${name}-${crypto.randomUUID()}`;

describe('revocation events reach the webhook, once each, never with a raw token', () => {
  it('RFC 7009 revoke of an access token: one token.revoked by the client, with the token id', async () => {
    const client = await registerClient();
    const { access_token: token } = await clientCredentials(client);
    const revoked = await postForm(
      '/oauth2/revoke',
      { token },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(revoked.status).toBe(200);

    const event = await exactlyOne('token.revoked', (d) => d.tokenId === hashSecret(token));

    expect(event.envelope).toMatchObject({ version: '0', source: 'token-revocation', resources: [] });
    expect(detailOf(event)).toEqual({
      id: expect.any(String),
      time: expect.any(String),
      clientId: client.clientId,
      tokenId: hashSecret(token),
      actor: { type: 'client', id: client.clientId },
      route: 'POST /oauth2/revoke',
    });
    expectNoRawToken(event, token);
    expectValid(event);
  });

  it('RFC 7009 revoke of a refresh token: one grant.revoked, then sweep.completed counting its 2 token items, all gone', async () => {
    const client = await registerClient();
    const grant = await grantOfThree(client);
    const revoked = await postForm(
      '/oauth2/revoke',
      { token: grant.refresh_token, token_type_hint: 'refresh_token' },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(revoked.status).toBe(200);

    const sweep = (await eventsOf('sweep.completed', (d) => d.grantId === grant.grantId))[0] as ReceivedEvent;
    const event = await exactlyOne('grant.revoked', (d) => d.grantId === grant.grantId);

    expect(detailOf(event)).toEqual({
      id: expect.any(String),
      time: expect.any(String),
      clientId: client.clientId,
      grantId: grant.grantId,
      tokenId: hashSecret(grant.refresh_token),
      actor: { type: 'client', id: client.clientId },
      route: 'POST /oauth2/revoke',
    });
    expect(detailOf(sweep)).toEqual({
      id: expect.any(String),
      time: expect.any(String),
      clientId: client.clientId,
      grantId: grant.grantId,
      actor: { type: 'service', id: 'sweeper' },
      count: 2,
    });
    expect(
      receivedEvents(file).filter(is('sweep.completed', (d) => d.grantId === grant.grantId)),
    ).toHaveLength(1);
    expect(await remainingItems(grant.ids)).toEqual([]);
    expectNoRawToken(event, grant.access_token, grant.refresh_token, grant.second);
    expectNoRawToken(sweep, grant.access_token, grant.refresh_token, grant.second);
    expectValid(event, sweep);
  });

  it('DELETE /oauth/token: one token.revoked by the bearer', async () => {
    const client = await registerClient();
    const { access_token: token } = await clientCredentials(client);
    const response = await call('DELETE', '/oauth/token', { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);

    const event = await exactlyOne('token.revoked', (d) => d.tokenId === hashSecret(token));

    expect(detailOf(event)).toMatchObject({
      clientId: client.clientId,
      actor: { type: 'bearer', id: client.clientId },
      route: 'DELETE /oauth/token',
    });
    expectNoRawToken(event, token);
    expectValid(event);
  });

  it.each([
    ['DELETE', '/admin/oauth2/accesstokens/{access_token}'],
    ['POST', '/admin/oauth2/accesstokens/delete'],
  ])('admin %s %s: one token.revoked by the IAM principal', async (method, path) => {
    const client = await registerClient();
    const { access_token: token } = await clientCredentials(client);
    const response =
      method === 'DELETE'
        ? await admin('DELETE', `/admin/oauth2/accesstokens/${encodeURIComponent(token)}`)
        : await admin('POST', path, { token });
    expect(response.status).toBe(200);

    const event = await exactlyOne('token.revoked', (d) => d.tokenId === hashSecret(token));

    expect(detailOf(event)).toMatchObject({
      clientId: client.clientId,
      actor: LOCAL_ADMIN,
      route: `${method} ${path}`,
    });
    expectNoRawToken(event, token);
    expectValid(event);
  });

  it.each([
    ['DELETE', '/admin/oauth2/refreshtokens/{refresh_token}'],
    ['POST', '/admin/oauth2/refreshtokens/delete'],
  ])('admin %s %s: one grant.revoked by the IAM principal, then its sweep', async (method, path) => {
    const client = await registerClient();
    const grant = await grantOfThree(client);
    const response =
      method === 'DELETE'
        ? await admin('DELETE', `/admin/oauth2/refreshtokens/${encodeURIComponent(grant.refresh_token)}`)
        : await admin('POST', path, { token: grant.refresh_token });
    expect(response.status).toBe(200);

    const sweep = (await eventsOf('sweep.completed', (d) => d.grantId === grant.grantId))[0] as ReceivedEvent;
    const event = await exactlyOne('grant.revoked', (d) => d.grantId === grant.grantId);

    expect(detailOf(event)).toMatchObject({
      clientId: client.clientId,
      tokenId: hashSecret(grant.refresh_token),
      actor: LOCAL_ADMIN,
      route: `${method} ${path}`,
    });
    expect(detailOf(sweep).count).toBe(2);
    expect(await remainingItems(grant.ids)).toEqual([]);
    expectNoRawToken(event, grant.refresh_token);
    expectValid(event, sweep);
  });

  it('refresh token reuse: exactly one refresh_token.reuse_detected and no grant.revoked; the sweep follows', async () => {
    const client = await registerClient({ refreshTokenRotation: true, refreshTokenReuseGraceSeconds: 0 });
    const first = await grantTokens(client);
    const grantId = first.refresh_token.slice(7).split('.')[1] as string;
    const next = await refresh(client, first.refresh_token);
    expect(next.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5)); // past the zero-second grace, by the clock's ms
    const reuse = await refresh(client, first.refresh_token);
    expect(reuse.status).toBe(400);

    const sweep = (await eventsOf('sweep.completed', (d) => d.grantId === grantId))[0] as ReceivedEvent;
    const event = await exactlyOne('refresh_token.reuse_detected', (d) => d.grantId === grantId);

    expect(detailOf(event)).toEqual({
      id: expect.any(String),
      time: expect.any(String),
      clientId: client.clientId,
      grantId,
      tokenId: hashSecret(first.refresh_token),
      actor: { type: 'service', id: 'reuse-detection' },
      route: 'POST /oauth2/token',
    });
    expect(receivedEvents(file).filter(is('grant.revoked', (d) => d.grantId === grantId))).toEqual([]);
    // The first and the refreshed access token (the grant item, holding the refresh tokens, stays as the
    // revocation's mark).
    expect(detailOf(sweep).count).toBe(2);
    expectNoRawToken(event, first.refresh_token);
    expectValid(event, sweep);
  });

  it("DELETE /admin/clients/{id}/tokens: one client.tokens_revoked with the response's cut-off, then its sweep", async () => {
    const client = await registerClient();
    const tokens = await Promise.all([
      clientCredentials(client),
      clientCredentials(client),
      clientCredentials(client),
    ]);
    const response = await admin('DELETE', `/admin/clients/${client.clientId}/tokens`);
    expect(response.status).toBe(200);
    const { tokensRevokedBefore } = response.json as { tokensRevokedBefore: number };

    const sweep = (
      await eventsOf('sweep.completed', (d) => d.clientId === client.clientId)
    )[0] as ReceivedEvent;
    const event = await exactlyOne('client.tokens_revoked', (d) => d.clientId === client.clientId);

    expect(detailOf(event)).toEqual({
      id: expect.any(String),
      time: new Date(tokensRevokedBefore).toISOString(),
      clientId: client.clientId,
      tokensRevokedBefore,
      actor: LOCAL_ADMIN,
      route: 'DELETE /admin/clients/{clientId}/tokens',
    });
    expect(detailOf(sweep)).toMatchObject({ clientId: client.clientId, count: 3 });
    expect(await remainingItems(tokens.map((t) => hashSecret(t.access_token)))).toEqual([]);
    expectValid(event, sweep);
  });

  it('DELETE /admin/clients/{id}: one client.deleted, then its sweep of every token of the client', async () => {
    const client = await registerClient();
    const grant = await grantOfThree(client);
    const { access_token: other } = await clientCredentials(client);
    const response = await admin('DELETE', `/admin/clients/${client.clientId}`);
    expect(response.status).toBe(200);

    const sweep = (
      await eventsOf('sweep.completed', (d) => d.clientId === client.clientId)
    )[0] as ReceivedEvent;
    const event = await exactlyOne('client.deleted', (d) => d.clientId === client.clientId);

    expect(detailOf(event)).toEqual({
      id: expect.any(String),
      time: expect.any(String),
      clientId: client.clientId,
      actor: LOCAL_ADMIN,
      route: 'DELETE /admin/clients/{clientId}',
    });
    expect(detailOf(sweep)).toMatchObject({ clientId: client.clientId, count: 4 });
    expect(await remainingItems([...grant.ids, hashSecret(other)])).toEqual([]);
    expectValid(event, sweep);
  });

  it.each([['DELETE /admin/subjects/{subject}/tokens'], ['POST /admin/global-token-revocation']])(
    '%s: one subject.tokens_revoked with the subject, then its sweep',
    async (route) => {
      const client = await registerClient();
      const subject = unique('events-user');
      const grants = [await grantOfThree(client, subject), await grantOfThree(client, subject)];
      const response = route.startsWith('DELETE')
        ? await admin('DELETE', `/admin/subjects/${encodeURIComponent(subject)}/tokens`)
        : await admin('POST', '/admin/global-token-revocation', {
            sub_id: { format: 'opaque', id: subject },
          });
      expect([200, 204]).toContain(response.status);

      const sweep = (await eventsOf('sweep.completed', (d) => d.subject === subject))[0] as ReceivedEvent;
      const event = await exactlyOne('subject.tokens_revoked', (d) => d.subject === subject);

      expect(detailOf(event)).toEqual({
        id: expect.any(String),
        time: expect.any(String),
        subject,
        tokensRevokedBefore: expect.any(Number),
        actor: LOCAL_ADMIN,
        route,
      });
      expect(detailOf(sweep)).toEqual({
        id: expect.any(String),
        time: expect.any(String),
        subject,
        actor: { type: 'service', id: 'sweeper' },
        count: 6,
      });
      expect(await remainingItems(grants.flatMap((grant) => grant.ids))).toEqual([]);
      expectValid(event, sweep);
    },
  );
});

describe('order and latency', () => {
  it('delivers the events of one item in the order of its writes', async () => {
    const client = await registerClient();
    const grant = await grantOfThree(client);
    const auth = [client.clientId, client.clientSecret] as const;
    // One grant: an access token of it revoked, then the grant, then the grant's sweep.
    expect((await postForm('/oauth2/revoke', { token: grant.access_token }, { auth })).status).toBe(200);
    expect((await postForm('/oauth2/revoke', { token: grant.refresh_token }, { auth })).status).toBe(200);
    // One client: its cut-off, then its deletion.
    expect((await admin('DELETE', `/admin/clients/${client.clientId}/tokens`)).status).toBe(200);
    expect((await admin('DELETE', `/admin/clients/${client.clientId}`)).status).toBe(200);

    const ofGrant = await waitForEvents(file, (e) => detailOf(e).grantId === grant.grantId, {
      done: (events) => events.some((e) => typeOf(e) === 'sweep.completed'),
    });
    expect(ofGrant.map(typeOf)).toEqual(['token.revoked', 'grant.revoked', 'sweep.completed']);
    const ofClient = await waitForEvents(
      file,
      (e) => detailOf(e).clientId === client.clientId && typeOf(e).startsWith('client.'),
      { done: (events) => events.length >= 2 },
    );
    expect(ofClient.map(typeOf)).toEqual(['client.tokens_revoked', 'client.deleted']);
    for (const events of [ofGrant, ofClient]) {
      const times = events.map((e) => e.receivedAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('reaches the webhook within 2 s of the revocation answering 200 (p99 over 100 revocations)', async () => {
    const client = await registerClient();
    const auth = [client.clientId, client.clientSecret] as const;
    const tokens = [];
    for (let i = 0; i < 100; i++) tokens.push((await clientCredentials(client)).access_token);
    const answeredAt = new Map<string, number>();
    for (const token of tokens) {
      const response = await postForm('/oauth2/revoke', { token }, { auth });
      answeredAt.set(hashSecret(token), Date.now());
      expect(response.status).toBe(200);
    }

    const events = await waitForEvents(
      file,
      (e) => typeOf(e) === 'token.revoked' && answeredAt.has(String(detailOf(e).tokenId)),
      { done: (matching) => matching.length >= answeredAt.size },
    );

    expect(events).toHaveLength(100);
    const latencies = events
      .map((e) => e.receivedAt - (answeredAt.get(String(detailOf(e).tokenId)) ?? Number.NaN))
      .sort((a, b) => a - b);
    const at = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * p) - 1)] ?? NaN;
    console.log(
      `event latency over ${latencies.length} revocations: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${latencies.at(-1)} ms`,
    );
    expect(at(0.99)).toBeLessThan(2000);
  });
});

describe('docs/events.md', () => {
  it('has an example of every detail-type, and each matches docs/events.schema.json', () => {
    const markdown = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
    const examples = [...markdown.matchAll(/```json\n([\s\S]*?)\n```/g)]
      .map((match) => JSON.parse(match[1] ?? '') as Record<string, unknown>)
      .filter((example) => 'detail-type' in example);
    expect(new Set(examples.map((example) => example['detail-type']))).toEqual(new Set(REVOCATION_TYPES));
    for (const example of examples) expect(validate(example)).toBeUndefined();
  });

  it('the schema refuses what the contract forbids', () => {
    const valid = {
      version: '0',
      id: '7a3c7c6e-3f0b-4b8e-9d9c-2f6f5b6a1c11',
      source: 'token-revocation',
      'detail-type': 'token.revoked',
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      account: '000000000000',
      resources: [],
      detail: {
        id: '0c1a5a7e-1f54-8e0b-9a3f-3d7e2b9c4f10',
        time: '2026-01-01T00:00:00.000Z',
        clientId: 'c',
        tokenId: hashSecret('a token'),
        actor: { type: 'client', id: 'c' },
        route: 'POST /oauth2/revoke',
      },
    };
    expect(validate(valid)).toBeUndefined();
    const withDetail = (detail: Record<string, unknown>, type = 'token.revoked') => ({
      ...valid,
      'detail-type': type,
      detail: { ...valid.detail, ...detail },
    });
    // A raw token, an unknown key, a count on a revocation, a bad actor type, a token id not a hash.
    expect(validate(withDetail({ token: 'rvk_at_x' }))).toMatch(/additional properties/);
    expect(validate(withDetail({ count: 1 }))).toBeDefined();
    expect(validate(withDetail({ actor: { type: 'user', id: 'x' } }))).toBeDefined();
    expect(validate(withDetail({ tokenId: 'rvk_at_abc.def' }))).toBeDefined();
    // Per detail-type required keys: a grant.revoked needs its grant, a sweep its count.
    expect(validate(withDetail({}, 'grant.revoked'))).toMatch(/grantId/);
    const sweep = { id: valid.detail.id, time: valid.detail.time, actor: { type: 'service', id: 'sweeper' } };
    expect(
      validate({ ...valid, 'detail-type': 'sweep.completed', detail: { ...sweep, count: 2 } }),
    ).toBeUndefined();
    expect(validate({ ...valid, 'detail-type': 'sweep.completed', detail: sweep })).toMatch(/count/);
    expect(validate(withDetail({ count: 2 }, 'sweep.completed'))).toMatch(/tokenId|route/);
    expect(validate({ ...valid, extra: true })).toMatch(/additional properties/);
  });
});
