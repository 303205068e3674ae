import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '#test/support/global-setup.ts';
import {
  ADMIN,
  baseUrl,
  dynamoEndpoint,
  type RegisteredClient,
  recordSecrets,
  registerClient,
  runDir,
  tableName,
  waitForLog,
} from '#test/support/helpers.ts';
import { postFormFrom, type SourcedResponse } from '#test/support/source-ip.ts';
import { adminRequest } from '#tools/admin-client.ts';

/**
 * Failed client authentication is throttled per (client id, source IP). Each test sends from a loopback
 * address of its own (127.0.0.x), so the pairs of other tests, which all come from 127.0.0.1, never
 * count towards its limit, and its failures never throttle them.
 */

const THROTTLED = {
  error: 'temporarily_unavailable',
  error_description: 'too many failed client authentications',
};

const token = { grant_type: 'client_credentials' };
const WRONG = 'not-the-secret';

/** The Retry-After of a 429, checked to be whole seconds. */
function retryAfter(response: SourcedResponse): number {
  const value = String(response.headers['retry-after']);
  expect(value).toMatch(/^\d+$/);
  return Number(value);
}

function expectThrottled(response: SourcedResponse, windowSeconds: number): number {
  expect(response.status).toBe(429);
  expect(response.json).toEqual(THROTTLED);
  expect(response.headers['content-type']).toBe('application/json');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers.pragma).toBe('no-cache');
  const seconds = retryAfter(response);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(windowSeconds);
  return seconds;
}

/** `count` failed authentications of a client from one source IP, in parallel; all must be 401. */
async function fail(ip: string, url: string, client: RegisteredClient, count: number): Promise<void> {
  const responses = await Promise.all(
    Array.from({ length: count }, () =>
      postFormFrom(ip, url, '/oauth2/token', token, [client.clientId, WRONG]),
    ),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(count).fill(401));
}

describe('failed client authentication throttle (default: 20 failures within 60 s)', () => {
  it('refuses the pair with 429 after 20 failures, even with the right secret; other IPs and clients are unaffected', async () => {
    const [client, other] = await Promise.all([registerClient(), registerClient()]);
    const ip = '127.0.0.21';
    const right = [client.clientId, client.clientSecret] as const;
    await fail(ip, baseUrl, client, 20);

    expectThrottled(await postFormFrom(ip, baseUrl, '/oauth2/token', token, right), 60);
    // Another source IP: the same client authenticates, and its failures are its own.
    expect((await postFormFrom('127.0.0.22', baseUrl, '/oauth2/token', token, right)).status).toBe(200);
    const elsewhere = await postFormFrom('127.0.0.22', baseUrl, '/oauth2/token', token, [
      client.clientId,
      WRONG,
    ]);
    expect(elsewhere.status).toBe(401);
    // Another client id from the throttled IP.
    const otherRight = [other.clientId, other.clientSecret] as const;
    expect((await postFormFrom(ip, baseUrl, '/oauth2/token', token, otherRight)).status).toBe(200);
  });

  it('counts failures on token, revoke and introspect together and refuses the pair on all three', async () => {
    const client = await registerClient();
    const ip = '127.0.0.23';
    const post = { client_id: client.clientId, client_secret: WRONG };
    const failures = await Promise.all([
      ...Array.from({ length: 7 }, () =>
        postFormFrom(ip, baseUrl, '/oauth2/token', token, [client.clientId, WRONG]),
      ),
      ...Array.from({ length: 7 }, () =>
        postFormFrom(ip, baseUrl, '/oauth2/revoke', { token: 'x', ...post }),
      ),
      // A confidential client that sends no secret (method none) fails too.
      ...Array.from({ length: 6 }, () =>
        postFormFrom(ip, baseUrl, '/oauth2/introspect', { token: 'x', client_id: client.clientId }),
      ),
    ]);
    expect(failures.map((r) => r.status)).toEqual(Array(20).fill(401));

    const right = [client.clientId, client.clientSecret] as const;
    const seconds = [
      expectThrottled(await postFormFrom(ip, baseUrl, '/oauth2/token', token, right), 60),
      expectThrottled(await postFormFrom(ip, baseUrl, '/oauth2/revoke', { token: 'x' }, right), 60),
      expectThrottled(await postFormFrom(ip, baseUrl, '/oauth2/introspect', { token: 'x' }, right), 60),
      expectThrottled(
        await postFormFrom(ip, baseUrl, '/oauth2/introspect', {
          token: 'x',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }),
        60,
      ),
    ];
    // Refusals are not failures: the window, and so Retry-After, never grows.
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]).toBeLessThanOrEqual(seconds[i - 1] ?? 0);
  });

  it('logs each failure with the claimed client id and the source IP, and never the secret', async () => {
    const client = await registerClient();
    const wrong = `${client.clientSecret.slice(0, 20)}-wrong-${Date.now()}`;
    recordSecrets({ clientSecret: wrong });
    const ip = '127.0.0.24';
    expect((await postFormFrom(ip, baseUrl, '/oauth2/token', token, [client.clientId, wrong])).status).toBe(
      401,
    );
    const revoke = await postFormFrom(ip, baseUrl, '/oauth2/revoke', {
      token: 'x',
      client_id: client.clientId,
      client_secret: wrong,
    });
    expect(revoke.status).toBe(401);

    const failed = (await waitForLog((all) => mine(all).length === 2)).filter(
      (line) => line.message === 'client authentication failed' && line.clientId === client.clientId,
    );
    const fields = failed.map((line) => JSON.parse(line.raw) as Record<string, unknown>);
    expect(fields).toEqual([
      expect.objectContaining({
        level: 'WARN',
        route: 'POST /oauth2/token',
        clientId: client.clientId,
        sourceIp: ip,
        method: 'client_secret_basic',
        failures: 1,
      }),
      expect.objectContaining({
        route: 'POST /oauth2/revoke',
        clientId: client.clientId,
        sourceIp: ip,
        method: 'client_secret_post',
        failures: 2,
      }),
    ]);
    for (const line of failed) {
      expect(line.raw).not.toContain(wrong);
      expect(line.raw).not.toContain(client.clientSecret);
      expect(line.raw.toLowerCase()).not.toContain('authorization');
    }

    function mine(all: { message?: string; clientId?: string }[]) {
      return all.filter(
        (line) => line.message === 'client authentication failed' && line.clientId === client.clientId,
      );
    }
  });
});

describe('failed client authentication throttle, configured (AUTH_FAILURE_LIMIT=3, AUTH_FAILURE_WINDOW_SECONDS=2)', () => {
  const WINDOW_SECONDS = 2;
  let url = '';
  let stop = () => {};

  beforeAll(async () => {
    const started = await startServer(
      {
        DYNAMODB_ENDPOINT: dynamoEndpoint,
        TABLE_NAME: tableName,
        AUTH_FAILURE_LIMIT: '3',
        AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      },
      join(runDir, 'auth-throttle-server.log'),
    );
    url = started.url;
    stop = () => started.child.kill('SIGTERM');
  }, 60_000);
  afterAll(() => stop());

  async function register(): Promise<RegisteredClient> {
    const response = await adminRequest(url, 'POST', '/admin/clients', ADMIN, {
      body: { name: 'throttle window', grantTypes: ['client_credentials'] },
    });
    recordSecrets(response.json);
    expect(response.status).toBe(201);
    return response.json as RegisteredClient;
  }

  it('refuses after the configured limit until the window, counted from the first failure, passes; 429s do not extend it', async () => {
    const client = await register();
    const ip = '127.0.0.25';
    const right = [client.clientId, client.clientSecret] as const;
    await fail(ip, url, client, 3);

    const first = expectThrottled(await postFormFrom(ip, url, '/oauth2/token', token, right), WINDOW_SECONDS);
    const second = expectThrottled(
      await postFormFrom(ip, url, '/oauth2/token', token, right),
      WINDOW_SECONDS,
    );
    expect(second).toBeLessThanOrEqual(first);

    // Retry-After rounds up, so once it has passed the window has too, 429s or not.
    await new Promise((resolve) => setTimeout(resolve, first * 1000 + 50));
    expect((await postFormFrom(ip, url, '/oauth2/token', token, right)).status).toBe(200);

    // A new window starts with the next failure, and fills up the same way.
    await fail(ip, url, client, 3);
    expectThrottled(await postFormFrom(ip, url, '/oauth2/token', token, right), WINDOW_SECONDS);
  });
});
