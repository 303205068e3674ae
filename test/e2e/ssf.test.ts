/**
 * The SSF transmitter end to end, over real sockets against the suite's local server: a receiver's streams
 * (SSF 1.0 management, authorized by its client_credentials token's scope), revocations made through the
 * OAuth and admin routes reaching a push receiver as SETs that jose verifies against the served
 * `jwks_uri`, the receiver's answers (202, 400, 500) deciding retries, pause and enable, subjects, poll with
 * acknowledgements, verification. The suite's other revocations reach these streams too, so each test
 * looks only at the SETs about its own subjects.
 */
import { randomUUID } from 'node:crypto';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseToken } from '#commons/domain/token-format.ts';
import { PARTITION_KEY, SSF_SET_KEY_PREFIX } from '#commons/schema.ts';
import { detailOf, waitForEvents } from '#test/support/events.ts';
import {
  admin,
  baseUrl,
  call,
  clientCredentials,
  dynamoEndpoint,
  grantTokens,
  postForm,
  type RegisteredClient,
  registerClient,
  tableName,
} from '#test/support/helpers.ts';
import {
  type PushReceiver,
  SESSION_REVOKED,
  type SsfReceiver,
  ssfCall,
  ssfReceiver,
  startPushReceiver,
  userOf,
  VERIFICATION,
  verifySet,
} from '#test/support/ssf.ts';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';

const eventsFile = inject('eventsFile');
const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamoEndpoint));

/** The SET items of these jtis still in the table. */
async function storedSets(jtis: readonly string[]): Promise<unknown[]> {
  const out = await doc.send(
    new BatchGetCommand({
      RequestItems: {
        [tableName]: {
          Keys: jtis.map((jti) => ({ [PARTITION_KEY]: `${SSF_SET_KEY_PREFIX}${jti}` })),
          ConsistentRead: true,
        },
      },
    }),
  );
  return out.Responses?.[tableName] ?? [];
}
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

let receiver: SsfReceiver;
let push: PushReceiver;
/** The client whose users' grants the tests revoke. */
let app: RegisteredClient;
const streams: { token: string; id: string }[] = [];

beforeAll(async () => {
  [receiver, push, app] = await Promise.all([
    ssfReceiver(),
    startPushReceiver(),
    registerClient({ name: 'ssf app' }),
  ]);
});

afterEach(async () => {
  // A stream left behind would have the server push the rest of the suite's revocations to a closed port.
  await Promise.all(
    streams.splice(0).map(({ token, id }) => ssfCall(token, 'DELETE', `/ssf/streams?stream_id=${id}`)),
  );
});

afterAll(async () => {
  await push.close();
  doc.destroy();
});

/** Creates a stream (deleted after the file) and returns its configuration. */
async function createStream(
  body: Record<string, unknown> = { delivery: { method: PUSH, endpoint_url: push.url } },
  token = receiver.token,
): Promise<Record<string, unknown> & { stream_id: string }> {
  const response = await ssfCall(token, 'POST', '/ssf/streams', body);
  expect(response.status, response.text).toBe(201);
  const config = response.json as Record<string, unknown> & { stream_id: string };
  streams.push({ token, id: config.stream_id });
  return config;
}

/** A user's grant, revoked through RFC 7009 with its refresh token; returns what identifies it. */
async function revokeGrant(subject: string) {
  const tokens = await grantTokens(app, { subject });
  const grantId = parseToken(tokens.refresh_token)?.grantId ?? '';
  const revoked = await postForm(
    '/oauth2/revoke',
    { token: tokens.refresh_token },
    { auth: [app.clientId, app.clientSecret] },
  );
  expect(revoked.status).toBe(200);
  return { grantId, tokens, revokedAt: Date.now() };
}

const about = (subject: string) => (claims: Record<string, unknown>) => userOf(claims) === subject;

describe('transmitter metadata', () => {
  it('serves /.well-known/ssf-configuration with exactly the contract keys', async () => {
    const response = await call('GET', '/.well-known/ssf-configuration');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      spec_version: '1_0',
      issuer: baseUrl,
      jwks_uri: `${baseUrl}/ssf/jwks`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${baseUrl}/ssf/streams`,
      status_endpoint: `${baseUrl}/ssf/status`,
      add_subject_endpoint: `${baseUrl}/ssf/subjects/add`,
      remove_subject_endpoint: `${baseUrl}/ssf/subjects/remove`,
      verification_endpoint: `${baseUrl}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
  });

  it('publishes RSA public keys only at jwks_uri', async () => {
    const response = await call('GET', '/ssf/jwks');
    expect(response.status).toBe(200);
    const { keys } = response.json as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    }
  });
});

describe('authorization', () => {
  it('answers 401 without a bearer token and 401 invalid_token for an inactive one', async () => {
    const none = await call('GET', '/ssf/streams');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="oauth"');
    const revoked = await ssfReceiver();
    await postForm(
      '/oauth2/revoke',
      { token: revoked.token },
      { auth: [revoked.client.clientId, revoked.client.clientSecret] },
    );
    const inactive = await ssfCall(revoked.token, 'GET', '/ssf/streams');
    expect(inactive.status).toBe(401);
    expect(inactive.json).toMatchObject({ error: 'invalid_token' });
    expect(inactive.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('needs ssf.manage to change anything and ssf.read or ssf.manage to read', async () => {
    const reader = await ssfReceiver('ssf.read');
    const other = await clientCredentials(reader.client, 'read');
    const created = await ssfCall(reader.token, 'POST', '/ssf/streams', { delivery: { method: POLL } });
    expect(created.status).toBe(403);
    expect(created.json).toMatchObject({ error: 'insufficient_scope' });
    expect(created.headers.get('www-authenticate')).toContain('scope="ssf.manage"');
    expect((await ssfCall(reader.token, 'GET', '/ssf/streams')).status).toBe(200);
    const unscoped = await ssfCall(other.access_token, 'GET', '/ssf/streams');
    expect(unscoped.status).toBe(403);
    expect(unscoped.headers.get('www-authenticate')).toContain('scope="ssf.read"');
  });

  it("answers 404 for another receiver's stream, on every route, and changes nothing", async () => {
    const mine = await createStream({ delivery: { method: POLL } });
    const stranger = await ssfReceiver();
    const id = mine.stream_id;
    const calls = [
      ssfCall(stranger.token, 'GET', `/ssf/streams?stream_id=${id}`),
      ssfCall(stranger.token, 'PATCH', '/ssf/streams', { stream_id: id, events_requested: [] }),
      ssfCall(stranger.token, 'PUT', '/ssf/streams', { stream_id: id, delivery: { method: POLL } }),
      ssfCall(stranger.token, 'DELETE', `/ssf/streams?stream_id=${id}`),
      ssfCall(stranger.token, 'GET', `/ssf/status?stream_id=${id}`),
      ssfCall(stranger.token, 'POST', '/ssf/status', { stream_id: id, status: 'disabled' }),
      ssfCall(stranger.token, 'POST', '/ssf/subjects/remove', {
        stream_id: id,
        subject: { format: 'opaque', id: 'x' },
      }),
      ssfCall(stranger.token, 'POST', '/ssf/verify', { stream_id: id }),
      ssfCall(stranger.token, 'POST', `/ssf/poll/${id}`, { returnImmediately: true }),
    ];
    for (const response of await Promise.all(calls)) expect(response.status, response.text).toBe(404);
    expect((await ssfCall(stranger.token, 'GET', '/ssf/streams')).json).toEqual([]);
    const still = await ssfCall(receiver.token, 'GET', `/ssf/status?stream_id=${id}`);
    expect(still.json).toEqual({ stream_id: id, status: 'enabled' });
  });
});

describe('stream management', () => {
  it('creates, reads, updates, replaces and deletes a stream', async () => {
    const created = await createStream({
      delivery: { method: PUSH, endpoint_url: push.url, authorization_header: 'Bearer receiver-secret' },
      events_requested: [SESSION_REVOKED, 'https://example.com/unsupported'],
    });
    expect(created).toEqual({
      stream_id: expect.any(String),
      iss: baseUrl,
      aud: receiver.client.clientId,
      events_supported: [SESSION_REVOKED],
      events_requested: [SESSION_REVOKED, 'https://example.com/unsupported'],
      events_delivered: [SESSION_REVOKED],
      delivery: { method: PUSH, endpoint_url: push.url, authorization_header: 'Bearer receiver-secret' },
    });
    const id = created.stream_id;
    expect((await ssfCall(receiver.token, 'GET', `/ssf/streams?stream_id=${id}`)).json).toEqual(created);
    const list = (await ssfCall(receiver.token, 'GET', '/ssf/streams')).json as { stream_id: string }[];
    expect(list.map((s) => s.stream_id)).toContain(id);

    const patched = await ssfCall(receiver.token, 'PATCH', '/ssf/streams', {
      stream_id: id,
      events_requested: [],
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      events_requested: [],
      events_delivered: [],
      delivery: created.delivery,
    });

    const replaced = await ssfCall(receiver.token, 'PUT', '/ssf/streams', {
      stream_id: id,
      delivery: { method: POLL },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      delivery: { method: POLL, endpoint_url: `${baseUrl}/ssf/poll/${id}` },
      events_requested: [SESSION_REVOKED],
    });

    expect((await ssfCall(receiver.token, 'DELETE', `/ssf/streams?stream_id=${id}`)).status).toBe(204);
    expect((await ssfCall(receiver.token, 'GET', `/ssf/streams?stream_id=${id}`)).status).toBe(404);
    expect((await ssfCall(receiver.token, 'DELETE', `/ssf/streams?stream_id=${id}`)).status).toBe(404);
  });

  it('answers 409 to a receiver that has as many streams as it may', async () => {
    const busy = await ssfReceiver();
    for (let i = 0; i < 10; i++) await createStream({ delivery: { method: POLL } }, busy.token);
    const refused = await ssfCall(busy.token, 'POST', '/ssf/streams', { delivery: { method: POLL } });
    expect(refused.status).toBe(409);
    expect(((await ssfCall(busy.token, 'GET', '/ssf/streams')).json as unknown[]).length).toBe(10);
  });

  it('refuses bad configurations with a 400 naming the field, and stores nothing', async () => {
    const before = (await ssfCall(receiver.token, 'GET', '/ssf/streams')).json as unknown[];
    const bad: [unknown, string][] = [
      [{}, 'delivery'],
      [{ delivery: { method: 'urn:example:carrier-pigeon' } }, 'delivery.method'],
      [{ delivery: { method: PUSH } }, 'delivery.endpoint_url'],
      [{ delivery: { method: PUSH, endpoint_url: 'http://example.com/events' } }, 'delivery.endpoint_url'],
      [
        { delivery: { method: PUSH, endpoint_url: push.url, authorization_header: 'a\nb' } },
        'delivery.authorization_header',
      ],
      [{ delivery: { method: POLL }, events_requested: 'all' }, 'events_requested'],
      [{ delivery: { method: POLL }, description: 'x' }, 'description'],
    ];
    for (const [body, field] of bad) {
      const response = await ssfCall(receiver.token, 'POST', '/ssf/streams', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json).toMatchObject({ error: 'invalid_request' });
      expect((response.json as { error_description: string }).error_description).toContain(field);
    }
    const notJson = await call('POST', '/ssf/streams', {
      headers: { authorization: `Bearer ${receiver.token}`, 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect((await ssfCall(receiver.token, 'GET', '/ssf/streams')).json).toEqual(before);
  });
});

describe('push delivery', () => {
  it('pushes a verified session-revoked SET for a revocation made over OAuth, never carrying a token', async () => {
    const stream = await createStream({
      delivery: { method: PUSH, endpoint_url: push.url, authorization_header: 'Bearer receiver-secret' },
    });
    const subject = `ssf-user-${randomUUID()}`;
    const { grantId, tokens } = await revokeGrant(subject);
    const [set] = (await push.waitFor((sets) => sets.some((s) => about(subject)(s.claims)))).filter((s) =>
      about(subject)(s.claims),
    );
    if (!set) throw new Error('no SET');
    expect(set.headers['content-type']).toBe('application/secevent+jwt');
    expect(set.headers.accept).toBe('application/json');
    expect(set.headers.authorization).toBe('Bearer receiver-secret');
    const claims = await verifySet(set.jwt, receiver.client.clientId);
    const [event] = await waitForEvents(
      eventsFile,
      (e) => e.envelope['detail-type'] === 'grant.revoked' && detailOf(e).grantId === grantId,
    );
    expect(Object.keys(claims).sort()).toEqual(['aud', 'events', 'iat', 'iss', 'jti', 'sub_id', 'txn']);
    expect(claims.txn).toBe(event && detailOf(event).id);
    expect(claims.sub_id).toEqual({
      format: 'complex',
      user: { format: 'iss_sub', iss: baseUrl, sub: subject },
      session: { format: 'opaque', id: grantId },
    });
    expect(claims.events).toEqual({
      [SESSION_REVOKED]: {
        event_timestamp: Math.floor(Date.parse(String(event && detailOf(event).time)) / 1000),
        reason_admin: { en: 'grant revoked' },
      },
    });
    for (const raw of [tokens.access_token, tokens.refresh_token]) expect(set.jwt).not.toContain(raw);
    expect(JSON.stringify(claims)).not.toContain('rvk_');
    expect(stream.stream_id).toBeTruthy();
  });

  it("maps a subject's cut-off to session-revoked for the iss_sub user", async () => {
    await createStream();
    const subject = `ssf-user-${randomUUID()}`;
    const cut = await admin('DELETE', `/admin/subjects/${encodeURIComponent(subject)}/tokens`);
    expect(cut.status).toBe(200);
    const set = (await push.waitFor((sets) => sets.some((s) => about(subject)(s.claims)))).find((s) =>
      about(subject)(s.claims),
    );
    const claims = await verifySet(set?.jwt ?? '', receiver.client.clientId);
    expect(claims.sub_id).toEqual({ format: 'iss_sub', iss: baseUrl, sub: subject });
    expect(claims.events).toMatchObject({
      [SESSION_REVOKED]: { reason_admin: { en: 'every session of the user revoked' } },
    });
  });

  it('retries a 500 with the same jti and the same bytes until the receiver answers 202', async () => {
    const failing = await startPushReceiver();
    try {
      const subject = `ssf-user-${randomUUID()}`;
      let failures = 0;
      failing.policy = (claims) => (about(subject)(claims) && failures++ < 2 ? 500 : 202);
      await createStream({ delivery: { method: PUSH, endpoint_url: failing.url } });
      await revokeGrant(subject);
      const sets = (
        await failing.waitFor((all) => all.some((s) => about(subject)(s.claims) && s.status === 202), 15_000)
      ).filter((s) => about(subject)(s.claims));
      expect(sets.map((s) => s.status)).toEqual([500, 500, 202]);
      expect(new Set(sets.map((s) => s.claims.jti)).size).toBe(1);
      expect(new Set(sets.map((s) => s.jwt)).size).toBe(1);
      // Backoff: the second retry waits longer than the first (1 s, then 2 s, each with jitter).
      const [a, b, c] = sets.map((s) => s.receivedAt);
      expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(400);
      expect((c ?? 0) - (b ?? 0)).toBeGreaterThanOrEqual(900);
    } finally {
      await failing.close();
    }
  });

  it('does not retry a SET the receiver refused with 400, and goes on with the next in order', async () => {
    const refusing = await startPushReceiver();
    try {
      const first = `ssf-user-${randomUUID()}`;
      const second = `ssf-user-${randomUUID()}`;
      refusing.policy = (claims) => (about(first)(claims) ? 400 : 202);
      await createStream({ delivery: { method: PUSH, endpoint_url: refusing.url } });
      await revokeGrant(first);
      await revokeGrant(second);
      await refusing.waitFor((all) => all.some((s) => about(second)(s.claims)));
      // Long enough for a retry of the refused SET to have come (the first retry waits at most 1 s).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const mine = refusing.received.filter((s) => about(first)(s.claims) || about(second)(s.claims));
      expect(mine.map((s) => [userOf(s.claims), s.status])).toEqual([
        [first, 400],
        [second, 202],
      ]);
    } finally {
      await refusing.close();
    }
  });

  it('keeps SETs while paused and delivers them in revocation order once enabled', async () => {
    const paused = await startPushReceiver();
    try {
      const stream = await createStream({ delivery: { method: PUSH, endpoint_url: paused.url } });
      const status = await ssfCall(receiver.token, 'POST', '/ssf/status', {
        stream_id: stream.stream_id,
        status: 'paused',
        reason: 'maintenance',
      });
      expect(status.json).toEqual({ stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' });
      const users = [`ssf-user-${randomUUID()}`, `ssf-user-${randomUUID()}`, `ssf-user-${randomUUID()}`];
      for (const user of users) await revokeGrant(user);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(paused.received.filter((s) => users.includes(userOf(s.claims) ?? ''))).toEqual([]);
      const enabled = await ssfCall(receiver.token, 'POST', '/ssf/status', {
        stream_id: stream.stream_id,
        status: 'enabled',
      });
      expect(enabled.json).toEqual({ stream_id: stream.stream_id, status: 'enabled' });
      const sets = await paused.waitFor((all) => users.every((u) => all.some((s) => userOf(s.claims) === u)));
      expect(sets.map((s) => userOf(s.claims)).filter((u) => users.includes(u ?? ''))).toEqual(users);
    } finally {
      await paused.close();
    }
  });

  it('drops what waits when a stream is disabled', async () => {
    const stream = await createStream({ delivery: { method: POLL } });
    const user = `ssf-user-${randomUUID()}`;
    await ssfCall(receiver.token, 'POST', '/ssf/status', { stream_id: stream.stream_id, status: 'paused' });
    await revokeGrant(user);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await ssfCall(receiver.token, 'POST', '/ssf/status', { stream_id: stream.stream_id, status: 'disabled' });
    const later = `ssf-user-${randomUUID()}`;
    await revokeGrant(later);
    // The revocation reaches the transmitter through the stream, a moment after its 200: it must find the
    // stream still disabled, or it is rightly kept for the enabled stream.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await ssfCall(receiver.token, 'POST', '/ssf/status', { stream_id: stream.stream_id, status: 'enabled' });
    const polled = await ssfCall(receiver.token, 'POST', `/ssf/poll/${stream.stream_id}`, {
      returnImmediately: true,
    });
    const users = Object.values((polled.json as { sets: Record<string, string> }).sets).map((jwt) =>
      userOf(JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())),
    );
    expect(users).not.toContain(user);
    expect(users).not.toContain(later);
  });

  it('leaves out a removed subject and delivers it again once added', async () => {
    const receiverOf = await startPushReceiver();
    try {
      const stream = await createStream({ delivery: { method: PUSH, endpoint_url: receiverOf.url } });
      const hidden = `ssf-user-${randomUUID()}`;
      const shown = `ssf-user-${randomUUID()}`;
      const subject = { format: 'iss_sub', iss: baseUrl, sub: hidden };
      const removed = await ssfCall(receiver.token, 'POST', '/ssf/subjects/remove', {
        stream_id: stream.stream_id,
        subject,
      });
      expect(removed.status).toBe(204);
      await revokeGrant(hidden);
      await revokeGrant(shown);
      await receiverOf.waitFor((all) => all.some((s) => about(shown)(s.claims)));
      expect(receiverOf.received.some((s) => about(hidden)(s.claims))).toBe(false);
      const added = await ssfCall(receiver.token, 'POST', '/ssf/subjects/add', {
        stream_id: stream.stream_id,
        subject,
        verified: true,
      });
      expect(added.status).toBe(200);
      await revokeGrant(hidden);
      await receiverOf.waitFor((all) => all.some((s) => about(hidden)(s.claims)));
      const bad = await ssfCall(receiver.token, 'POST', '/ssf/subjects/remove', {
        stream_id: stream.stream_id,
        subject: { format: 'phone_number', phone_number: '+1' },
      });
      expect(bad.status).toBe(400);
    } finally {
      await receiverOf.close();
    }
  });

  it('delivers a verification SET with the given state', async () => {
    const stream = await createStream();
    const state = randomUUID();
    const response = await ssfCall(receiver.token, 'POST', '/ssf/verify', {
      stream_id: stream.stream_id,
      state,
    });
    expect(response.status).toBe(204);
    const isMine = (claims: Record<string, unknown>) =>
      (claims.events as Record<string, { state?: string }> | undefined)?.[VERIFICATION]?.state === state;
    const set = (await push.waitFor((sets) => sets.some((s) => isMine(s.claims)))).find((s) =>
      isMine(s.claims),
    );
    const claims = await verifySet(set?.jwt ?? '', receiver.client.clientId);
    expect(claims.sub_id).toEqual({ format: 'opaque', id: stream.stream_id });
    expect(claims).not.toHaveProperty('txn');
  });
});

describe('poll delivery (RFC 8936)', () => {
  it('returns SETs until acknowledged, then not again', async () => {
    const stream = await createStream({ delivery: { method: POLL } });
    const pollUrl = `/ssf/poll/${stream.stream_id}`;
    expect(stream.delivery).toEqual({ method: POLL, endpoint_url: `${baseUrl}${pollUrl}` });
    const users = [`ssf-user-${randomUUID()}`, `ssf-user-${randomUUID()}`];
    for (const user of users) await revokeGrant(user);
    const mine = async (body: unknown) => {
      const response = await ssfCall(receiver.token, 'POST', pollUrl, body);
      expect(response.status).toBe(200);
      const { sets, moreAvailable } = response.json as {
        sets: Record<string, string>;
        moreAvailable: boolean;
      };
      expect(typeof moreAvailable).toBe('boolean');
      const verified = await Promise.all(
        Object.entries(sets).map(async ([jti, jwt]) => ({
          jti,
          claims: await verifySet(jwt, receiver.client.clientId),
        })),
      );
      for (const { jti, claims } of verified) expect(claims.jti).toBe(jti);
      return verified;
    };
    // The first poll waits (no returnImmediately) until the SETs are there.
    let seen: { jti: string; claims: Record<string, unknown> }[] = [];
    const deadline = Date.now() + 10_000;
    while (!users.every((u) => seen.some((s) => userOf(s.claims) === u)) && Date.now() < deadline) {
      seen = [...seen, ...(await mine({ maxEvents: 10 }))];
    }
    expect(seen.map((s) => userOf(s.claims)).filter((u) => users.includes(u ?? ''))).toEqual(users);
    // Offered and not acknowledged: not offered again at once.
    expect(await mine({ returnImmediately: true })).toEqual([]);
    const jtis = seen.filter((s) => users.includes(userOf(s.claims) ?? '')).map((s) => s.jti);
    expect(await storedSets(jtis)).toHaveLength(users.length);
    const acked = await mine({ ack: jtis, returnImmediately: true });
    expect(acked).toEqual([]);
    // Acknowledged is gone for good, not merely offered recently.
    expect(await storedSets(jtis)).toEqual([]);
    const bad = await ssfCall(receiver.token, 'POST', pollUrl, { maxEvents: -1 });
    expect(bad.status).toBe(400);
  });

  it('is 404 for a push stream', async () => {
    const stream = await createStream();
    expect((await ssfCall(receiver.token, 'POST', `/ssf/poll/${stream.stream_id}`, {})).status).toBe(404);
  });
});
