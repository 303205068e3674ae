import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '#test/support/global-setup.ts';
import { ADMIN, basic, recordSecrets, runDir } from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { type DynamoDbLocal, ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

/**
 * DynamoDB that accepts connections and never answers: its own DynamoDB Local, stopped with SIGSTOP, as
 * in the report that found 500s after 30 s. Every route must answer 503 with Retry-After within 5 s, and
 * the service must recover by itself once DynamoDB answers again.
 */
const DEADLINE_MS = 5000;

let dynamo: DynamoDbLocal | undefined;
let stopServer = () => {};

afterAll(async () => {
  if (dynamo?.process.pid) process.kill(dynamo.process.pid, 'SIGCONT');
  stopServer();
  await dynamo?.stop();
});

interface Timed {
  readonly name: string;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly ms: number;
}

describe('a hanging DynamoDB', () => {
  it('gets every route a 503 with Retry-After within 5 s, and the service recovers without a restart', async () => {
    dynamo = await startDynamoDbLocal();
    const table = 'hung-dynamodb';
    await ensureTable(dynamo.endpoint, table);
    const { url, child } = await startServer(
      { DYNAMODB_ENDPOINT: dynamo.endpoint, TABLE_NAME: table, RETRY_AFTER_SECONDS: '2' },
      join(runDir, 'hung-dynamodb-server.log'),
    );
    stopServer = () => child.kill('SIGTERM');
    const signed = async (method: string, path: string, body?: unknown) => {
      const response = await adminRequest(url, method, path, ADMIN, body === undefined ? {} : { body });
      recordSecrets(response.json);
      return response;
    };
    const form = async (path: string, body: Record<string, string>, authorization?: string) => {
      const response = await fetch(`${url}${path}`, {
        method: path === '/oauth/token' ? 'DELETE' : 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(authorization !== undefined && { authorization }),
        },
        body: new URLSearchParams(body).toString(),
      });
      const text = await response.text();
      if (text.startsWith('{')) recordSecrets(JSON.parse(text));
      return { status: response.status, headers: response.headers, text };
    };

    const register = async () => {
      const created = await signed('POST', '/admin/clients', {
        name: 'hung',
        grantTypes: ['client_credentials', 'refresh_token'],
      });
      expect(created.status).toBe(201);
      const { clientId, clientSecret } = created.json as { clientId: string; clientSecret: string };
      return { clientId, auth: basic(clientId, clientSecret) };
    };
    const grant = async (auth: string) => {
      const response = await form('/oauth2/token', { grant_type: 'client_credentials' }, auth);
      expect(response.status).toBe(200);
      return JSON.parse(response.text) as { access_token: string };
    };
    // client_credentials issues no refresh token (RFC 6749 4.4.3): a refresh token comes with a new grant,
    // minted through the admin API.
    const mintGrant = async (clientId: string) => {
      const response = await signed('POST', '/admin/tokens', { clientId, refreshToken: true });
      expect(response.status).toBe(201);
      return response.json as { access_token: string; refresh_token: string };
    };
    const active = async (token: string, auth: string) =>
      (JSON.parse((await form('/oauth2/introspect', { token }, auth)).text) as { active: boolean }).active;
    // The calls during the outage target one client; another, untouched, shows the recovery. A write that
    // reached DynamoDB's socket before it stopped may still be applied when it resumes, which is why every
    // write is one that a retry may repeat safely.
    const { clientId, auth } = await register();
    const survivor = await register();
    const tokens = {
      access_token: (await grant(auth)).access_token,
      refresh_token: (await mintGrant(clientId)).refresh_token,
    };
    expect(await active(tokens.access_token, auth)).toBe(true);
    expect(await active(tokens.refresh_token, auth)).toBe(true);

    const pid = dynamo.process.pid;
    if (pid === undefined) throw new Error('DynamoDB Local has no pid');
    process.kill(pid, 'SIGSTOP');
    const calls: [string, () => Promise<{ status: number; headers: Headers }>][] = [
      ['token client_credentials', () => form('/oauth2/token', { grant_type: 'client_credentials' }, auth)],
      [
        'token refresh_token',
        () =>
          form('/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, auth),
      ],
      ['revoke', () => form('/oauth2/revoke', { token: tokens.access_token }, auth)],
      ['introspect', () => form('/oauth2/introspect', { token: tokens.access_token }, auth)],
      ['invalidate', () => form('/oauth/token', {}, `Bearer ${tokens.access_token}`)],
      ['admin create client', () => signed('POST', '/admin/clients', { name: 'during outage' })],
      ['admin get client', () => signed('GET', `/admin/clients/${clientId}`)],
      ['admin mint', () => signed('POST', '/admin/tokens', { clientId })],
      [
        'admin delete access token',
        () => signed('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`),
      ],
      [
        'admin delete refresh token',
        () => signed('DELETE', `/admin/oauth2/refreshtokens/${tokens.refresh_token}`),
      ],
      ['admin revoke client tokens', () => signed('DELETE', `/admin/clients/${clientId}/tokens`)],
      ['admin delete client', () => signed('DELETE', `/admin/clients/${clientId}`)],
    ];
    let results: Timed[];
    try {
      results = await Promise.all(
        calls.map(async ([name, send]): Promise<Timed> => {
          const started = performance.now();
          const response = await send();
          const ms = performance.now() - started;
          return { name, status: response.status, retryAfter: response.headers.get('retry-after'), ms };
        }),
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    for (const result of results) {
      expect({ name: result.name, status: result.status, retryAfter: result.retryAfter }).toEqual({
        name: result.name,
        status: 503,
        retryAfter: '2',
      });
      expect(result.ms, result.name).toBeLessThan(DEADLINE_MS);
    }

    // Recovery without a restart: new grants and reads work again.
    const after = await grant(survivor.auth);
    expect(await active(after.access_token, survivor.auth)).toBe(true);
    // Revocations answered 503 are safe to retry: a retry finishes the job or finds it done, never errs,
    // and the token the caller meant to kill is dead.
    const retried = await signed('DELETE', `/admin/clients/${clientId}`);
    expect([200, 404]).toContain(retried.status);
    expect(await active(tokens.access_token, survivor.auth)).toBe(false);
    expect(await active(tokens.refresh_token, survivor.auth)).toBe(false);
    expect((await signed('GET', `/admin/clients/${clientId}`)).status).toBe(404);
  });
});
