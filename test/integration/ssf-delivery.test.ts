/**
 * The SSF delivery engine against DynamoDB Local and a real push receiver, with a clock the test moves:
 * retries for 24 hours then a dead letter (listed and redelivered through the local server's admin routes,
 * by the server's own deliverer), order kept under concurrent drains, a poll re-offering what was not
 * acknowledged. Streams live in the suite's table; they are made here with their own ids, so the suite's
 * server fans no revocation out to them (nothing is revoked for their subjects) except what the test sends.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevocationEvent } from '#commons/domain/events.ts';
import { POLL, PUSH, RETRY_FOR_MS, type Stream } from '#commons/domain/ssf.ts';
import {
  type DeliveryLog,
  type PollRequest,
  poll,
  type SsfMessage,
  Transmitter,
} from '#commons/domain/ssf-delivery.ts';
import { localJwks, localSigner } from '#commons/ssf/keys.ts';
import { fetchPush } from '#commons/ssf/push.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { SsfDynamoStore } from '#commons/store/ssf.ts';
import { admin, baseUrl, dynamoEndpoint, tableName } from '#test/support/helpers.ts';
import { type PushReceiver, startPushReceiver, userOf } from '#test/support/ssf.ts';

const client = createDynamoClient({ endpoint: dynamoEndpoint });
const store = new SsfDynamoStore({ client, tableName });
const keyDir = mkdtempSync(join(tmpdir(), 'ssf-keys-'));
const ISSUER = 'https://issuer.example';
const quiet: DeliveryLog = { delivered: () => {}, refused: () => {}, failed: () => {} };

let now = Date.now();
const sent: { message: SsfMessage; delayMs: number }[] = [];
const transmitter = new Transmitter({
  store,
  signer: localSigner(keyDir),
  push: fetchPush,
  queue: { maxDelayMs: 900_000, send: async (message, delayMs = 0) => void sent.push({ message, delayMs }) },
  clock: () => now,
  issuer: () => ISSUER,
  log: quiet,
  random: () => 0.5,
});

let receiver: PushReceiver;
const streamIds: string[] = [];

beforeAll(async () => {
  receiver = await startPushReceiver();
});

afterAll(async () => {
  await Promise.all(streamIds.map((id) => store.deleteStream(id, 'ssf-integration')));
  await receiver.close();
});

async function stream(overrides: Partial<Stream> = {}): Promise<Stream> {
  const created: Stream = {
    streamId: `it-${randomUUID()}`,
    receiver: 'ssf-integration',
    delivery: { method: PUSH, endpoint_url: receiver.url },
    // Requesting nothing keeps the suite's server from fanning its revocations out to these streams; the
    // test keeps its own SETs through `keepFor`.
    eventsRequested: [],
    status: 'enabled',
    excluded: [],
    generation: 0,
    version: 0,
    createdAt: now,
    ...overrides,
  };
  expect(await store.createStream(created)).toBe(true);
  streamIds.push(created.streamId);
  return created;
}

/** A grant revocation for `subject` at `time`, as the publisher hands it over. */
const grantRevoked = (subject: string, time = now): RevocationEvent => ({
  type: 'grant.revoked',
  id: randomUUID(),
  time,
  actor: { type: 'client', id: 'app' },
  grantId: randomUUID(),
  subject,
});

/** Keeps the SET of `event` for one stream, through the engine's own publish. */
async function keepFor(target: Stream, event: RevocationEvent): Promise<void> {
  // The engine's fan-out goes to every stream in the table: this store shows it only the test's stream,
  // as if that had requested everything.
  class OneStream extends SsfDynamoStore {
    override async listStreams(): Promise<Stream[]> {
      const { eventsRequested: _none, ...stored } = (await this.getStream(target.streamId)) as Stream;
      return [stored];
    }
  }
  const only = new Transmitter({
    store: new OneStream({ client, tableName }),
    signer: localSigner(keyDir),
    push: fetchPush,
    queue: { maxDelayMs: 900_000, send: async () => {} },
    clock: () => now,
    issuer: () => ISSUER,
    log: quiet,
  });
  expect(await only.publish(event)).toBe(1);
}

describe('push retries', () => {
  it('retries with growing backoff for 24 hours, then keeps the SET as a dead letter and goes on', async () => {
    const failing = await stream();
    const first = `it-user-${randomUUID()}`;
    const second = `it-user-${randomUUID()}`;
    receiver.policy = (claims) => (userOf(claims) === first ? 503 : 202);
    await keepFor(failing, grantRevoked(first, now));
    await keepFor(failing, grantRevoked(second, now + 1));
    const delays: number[] = [];
    const started = now;
    for (let round = 0; round < 200; round++) {
      sent.length = 0;
      await transmitter.drain(failing.streamId);
      const wake = sent.find((s) => s.message.kind === 'ssf-drain');
      if (!wake) break;
      delays.push(wake.delayMs);
      now += wake.delayMs;
      // The backoff's growth is seen; the rest of the day passes at once (the unit test sums the schedule).
      if (round === 8) now = started + RETRY_FOR_MS - 60_000;
    }
    const attemptsOnFirst = receiver.received.filter((s) => userOf(s.claims) === first);
    expect(now - started).toBeGreaterThanOrEqual(RETRY_FOR_MS);
    expect(attemptsOnFirst.length).toBeGreaterThan(9);
    expect(new Set(attemptsOnFirst.map((s) => s.jwt)).size).toBe(1);
    // Exponential, then capped at SQS's longest delay.
    expect(delays.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 16000].map((d) => d * 0.75));
    expect(Math.max(...delays)).toBeLessThanOrEqual(900_000);
    // The second waited behind the first, then went through once the first was given up.
    const order = receiver.received.filter((s) => [first, second].includes(userOf(s.claims) ?? ''));
    expect(order.at(-1)?.status).toBe(202);
    expect(userOf(order.at(-1)?.claims ?? {})).toBe(second);
    expect(order.filter((s) => userOf(s.claims) === second)).toHaveLength(1);

    const dead = await store.deadLetters(failing.streamId, 10);
    expect(dead.sets).toHaveLength(1);
    expect(dead.sets[0]).toMatchObject({ streamId: failing.streamId, lastError: 'status 503' });
    expect((await store.pendingSets(failing.streamId, 10)).sets).toEqual([]);
  });

  it('lists dead letters and redelivers them through the admin routes, with the same jti', async () => {
    const target = await stream();
    const user = `it-user-${randomUUID()}`;
    receiver.policy = () => 202;
    await keepFor(target, grantRevoked(user));
    const [set] = (await store.pendingSets(target.streamId, 1)).sets;
    if (!set) throw new Error('no SET kept');
    await store.killSet(set, now, Math.ceil(now / 1000) + 3600);

    const listed = await admin('GET', `/admin/ssf/dead-letters?stream_id=${target.streamId}`);
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({
      deadLetters: [{ jti: set.jti, streamId: target.streamId, txn: set.txn, attempts: 0, deadAt: now }],
    });
    expect(JSON.stringify(listed.json)).not.toContain(set.jwt);
    expect((await admin('GET', '/admin/ssf/dead-letters?limit=0')).status).toBe(400);
    expect((await admin('POST', '/admin/ssf/dead-letters/redeliver', { jti: [set.jti] })).status).toBe(400);

    const redelivered = await admin('POST', '/admin/ssf/dead-letters/redeliver', { jtis: [set.jti] });
    expect(redelivered.json).toEqual({ redelivered: 1 });
    // The server's own deliverer pushes it: the same bytes as signed the first time.
    const pushed = await receiver.waitFor((all) => all.some((s) => userOf(s.claims) === user));
    expect(pushed.find((s) => userOf(s.claims) === user)?.jwt).toBe(set.jwt);
    expect((await admin('GET', `/admin/ssf/dead-letters?stream_id=${target.streamId}`)).json).toEqual({
      deadLetters: [],
    });
  });

  it('lists and redelivers them with the admin CLI (revocation-admin ssf dead-letters / redeliver)', async () => {
    const target = await stream();
    const user = `it-user-${randomUUID()}`;
    receiver.policy = () => 202;
    await keepFor(target, grantRevoked(user));
    const [set] = (await store.pendingSets(target.streamId, 1)).sets;
    if (!set) throw new Error('no SET kept');
    await store.killSet(set, now, Math.ceil(now / 1000) + 3600);
    const cli = async (...args: string[]) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'bin/admin.ts', '--url', baseUrl, ...args],
        { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { PATH: process.env.PATH ?? '' } },
      );
      return JSON.parse(stdout) as Record<string, unknown>;
    };

    expect(await cli('ssf', 'dead-letters', '--stream', target.streamId, '--limit', '5')).toEqual({
      deadLetters: [{ jti: set.jti, streamId: target.streamId, txn: set.txn, attempts: 0, deadAt: now }],
    });
    expect(await cli('ssf', 'redeliver', '--jti', set.jti)).toEqual({ redelivered: 1 });
    const pushed = await receiver.waitFor((all) => all.some((s) => userOf(s.claims) === user));
    expect(pushed.find((s) => userOf(s.claims) === user)?.jwt).toBe(set.jwt);
    expect(await cli('ssf', 'dead-letters', '--stream', target.streamId)).toEqual({ deadLetters: [] });
  }, 60_000);
});

describe('ordering', () => {
  it('delivers each SET once and in revocation order when drains race', async () => {
    const target = await stream();
    receiver.policy = () => 202;
    const users = Array.from({ length: 8 }, (_, i) => `it-order-${i}-${randomUUID()}`);
    // Kept out of order; delivered by revocation time.
    for (const [i, user] of [...users.entries()].reverse())
      await keepFor(target, grantRevoked(user, now + i));
    sent.length = 0;
    await Promise.all([1, 2, 3, 4].map(() => transmitter.drain(target.streamId)));
    // A drain that found the stream busy asked to be woken: run those until nothing waits.
    for (let i = 0; i < 10 && sent.length > 0; i++) {
      const wakes = sent.splice(0);
      now += 1000;
      await Promise.all(wakes.map(() => transmitter.drain(target.streamId)));
    }
    const got = receiver.received.map((s) => userOf(s.claims)).filter((u) => users.includes(u ?? ''));
    expect(got).toEqual(users);
  });
});

describe('poll', () => {
  const request = (overrides: Partial<PollRequest> = {}): PollRequest => ({
    maxEvents: 10,
    returnImmediately: true,
    ack: [],
    setErrs: {},
    ...overrides,
  });

  it('offers an unacknowledged SET again 30 s later, drops an acknowledged one, and reports setErrs', async () => {
    const target = await stream({ delivery: { method: POLL } });
    await keepFor(target, grantRevoked(`it-poll-${randomUUID()}`));
    await keepFor(target, grantRevoked(`it-poll-${randomUUID()}`, now + 1));
    const clock = () => now;
    const errors: string[] = [];
    const first = await poll(store, clock, target, request({ maxEvents: 1 }), 0, (jti) => errors.push(jti));
    expect(Object.keys(first.sets)).toHaveLength(1);
    expect(first.moreAvailable).toBe(true);
    const [jti] = Object.keys(first.sets);
    const second = await poll(store, clock, target, request(), 0, () => {});
    expect(Object.keys(second.sets)).not.toContain(jti);
    now += 31_000;
    const again = await poll(store, clock, target, request(), 0, () => {});
    expect(Object.keys(again.sets)).toContain(jti);
    const [other] = Object.keys(again.sets).filter((j) => j !== jti);
    const done = await poll(
      store,
      clock,
      target,
      request({ ack: [jti ?? ''], setErrs: { [other ?? '']: { err: 'invalid_key' } } }),
      0,
      (j) => errors.push(j),
    );
    expect(done.sets).toEqual({});
    expect(errors).toEqual([other]);
    now += 31_000;
    expect((await poll(store, clock, target, request(), 0, () => {})).sets).toEqual({});
  });

  it('signs with the key it publishes (jose verifies against the local JWK Set)', async () => {
    const target = await stream({ delivery: { method: POLL } });
    await keepFor(target, grantRevoked('it-jwks'));
    const { sets } = await poll(
      store,
      () => now,
      target,
      request(),
      0,
      () => {},
    );
    const [jwt] = Object.values(sets);
    const jwks = await localJwks(keyDir);
    const { payload } = await jwtVerify(
      jwt ?? '',
      async (header) => {
        const key = jwks.keys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('unknown kid');
        return importJWK(key, 'RS256');
      },
      { issuer: ISSUER, audience: 'ssf-integration', typ: 'secevent+jwt' },
    );
    expect(payload.iss).toBe(ISSUER);
  });
});
