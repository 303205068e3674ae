import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { commandRecord, startServer } from '#test/support/global-setup.ts';
import {
  admin,
  dynamoEndpoint,
  grantTokens,
  type HttpResponse,
  introspect,
  logLines,
  postForm,
  type RegisteredClient,
  registerClient,
  type Tokens,
  tableName,
  waitForLog,
} from '#test/support/helpers.ts';

/** A resource server that introspects, as another client would. */
let resourceServer: RegisteredClient;
beforeAll(async () => {
  resourceServer = await registerClient({ name: 'resource server' });
});
const isActive = async (token: string) => (await introspect(resourceServer, token)).active === true;

/** A refresh grant as the client makes it: Basic for a confidential client, client_id alone for a public one. */
function refreshAs(client: RegisteredClient, refreshToken: string): Promise<HttpResponse> {
  const params = { grant_type: 'refresh_token', refresh_token: refreshToken };
  return client.public
    ? postForm('/oauth2/token', { ...params, client_id: client.clientId })
    : postForm('/oauth2/token', params, { auth: [client.clientId, client.clientSecret] });
}

const revokeAs = (client: RegisteredClient, token: string) =>
  client.public
    ? postForm('/oauth2/revoke', { token, client_id: client.clientId })
    : postForm('/oauth2/revoke', { token }, { auth: [client.clientId, client.clientSecret] });

const INVALID_GRANT = { error: 'invalid_grant', error_description: expect.any(String) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('token format', () => {
  it('prefixes access tokens rvk_at_ and refresh tokens rvk_rt_, naming client and grant', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    expect(tokens.access_token).toMatch(/^rvk_at_[A-Za-z0-9._-]+$/);
    expect(tokens.refresh_token).toMatch(/^rvk_rt_[A-Za-z0-9._-]+$/);
    const [clientId, grantId] = tokens.access_token.slice(7).split('.');
    expect(clientId).toBe(client.clientId);
    expect(tokens.refresh_token.slice(7).split('.')[1]).toBe(grantId);
  });
});

describe('a token whose checksum is wrong is unknown without any table read', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'format-'));
  let url = '';
  let stop = () => {};
  beforeAll(async () => {
    const started = await startServer(
      { DYNAMODB_ENDPOINT: dynamoEndpoint, TABLE_NAME: tableName },
      join(runDir, 'server.log'),
    );
    url = started.url;
    stop = () => started.child.kill('SIGTERM');
  });
  afterAll(() => stop());

  it('on introspect, revoke, invalidate and the admin delete routes', async () => {
    const client = await registerClient();
    const { access_token } = await grantTokens(client);
    const last = access_token.at(-1) === 'A' ? 'B' : 'A';
    const broken = `${access_token.slice(0, -1)}${last}`;
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
    const introspected = await fetch(`${url}/oauth2/introspect`, {
      method: 'POST',
      headers: form,
      body: `token=${broken}`,
    });
    expect(await introspected.json()).toEqual({ active: false });
    const revoked = await fetch(`${url}/oauth2/revoke`, {
      method: 'POST',
      headers: form,
      body: `token=${broken}`,
    });
    expect(revoked.status).toBe(200);
    const invalidated = await fetch(`${url}/oauth/token`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${broken}` },
    });
    expect(invalidated.status).toBe(403);
    const { adminRequest } = await import('#tools/admin-client.ts');
    const { ADMIN } = await import('#test/support/helpers.ts');
    const deleted = await adminRequest(url, 'DELETE', `/admin/oauth2/accesstokens/${broken}`, ADMIN);
    expect(deleted.status).toBe(404);
    // The client is authenticated with one GetItem per call; the token itself is never read or written.
    // (The routes called here only: the server's own background work, such as the local SSF deliverer
    // looking for streams at start, is not theirs.)
    const routes = new Set(['introspect', 'revoke', 'invalidate', 'admin-delete-access-token']);
    const commands = readFileSync(commandRecord(runDir), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { functionName: string; command: string })
      .filter((c) => routes.has(c.functionName));
    expect(commands.map((c) => c.functionName)).toContain('introspect');
    expect(commands.filter((c) => c.command !== 'GetItemCommand')).toEqual([]);
    // The real token still works.
    expect(await isActive(access_token)).toBe(true);
  });
});

describe('refresh token rotation (RFC 9700 4.14.2)', () => {
  it('is on for public clients, and a public client cannot turn it off', async () => {
    const spa = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    expect(spa.refreshTokenRotation).toBe(true);
    const refused = await admin('POST', '/admin/clients', {
      name: 'spa',
      public: true,
      refreshTokenRotation: false,
    });
    expect(refused.status).toBe(400);
    expect((refused.json as { message: string }).message).toContain('"refreshTokenRotation"');
  });

  it('returns a new refresh token with every refresh and consumes the one presented', async () => {
    const spa = await registerClient({ public: true, grantTypes: ['refresh_token'], scopes: ['read'] });
    const first = await grantTokens(spa);
    const response = await refreshAs(spa, first.refresh_token);
    expect(response.status).toBe(200);
    const next = response.json as Tokens;
    expect(Object.keys(next).sort()).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    expect(next.refresh_token).not.toBe(first.refresh_token);
    expect(await isActive(first.refresh_token)).toBe(false);
    expect(await isActive(next.refresh_token ?? '')).toBe(true);
    expect(await isActive(next.access_token)).toBe(true);
    expect(await isActive(first.access_token)).toBe(true);
  });

  it('keeps the refresh token of a confidential client without rotation', async () => {
    const client = await registerClient();
    expect(client.refreshTokenRotation).toBe(false);
    const { refresh_token } = await grantTokens(client);
    const response = await refreshAs(client, refresh_token);
    expect(response.status).toBe(200);
    expect(response.json).not.toHaveProperty('refresh_token');
    expect((await refreshAs(client, refresh_token)).status).toBe(200);
  });

  it('answers a consumed refresh token within the grace with invalid_grant and nothing else', async () => {
    const spa = await registerClient({
      public: true,
      grantTypes: ['refresh_token'],
      refreshTokenReuseGraceSeconds: 60,
    });
    const first = await grantTokens(spa);
    const next = (await refreshAs(spa, first.refresh_token)).json as Tokens;
    const retry = await refreshAs(spa, first.refresh_token);
    expect({ status: retry.status, body: retry.json }).toEqual({ status: 400, body: INVALID_GRANT });
    expect(await isActive(next.refresh_token ?? '')).toBe(true);
    expect(await isActive(next.access_token)).toBe(true);
    expect((await refreshAs(spa, next.refresh_token ?? '')).status).toBe(200);
  });

  it('revokes the whole grant when a consumed refresh token comes back after the grace (reuse)', async () => {
    const spa = await registerClient({
      public: true,
      grantTypes: ['refresh_token'],
      refreshTokenReuseGraceSeconds: 0,
    });
    const first = await grantTokens(spa);
    const next = (await refreshAs(spa, first.refresh_token)).json as Tokens;
    const other = await grantTokens(spa);
    await sleep(5);
    const reuse = await refreshAs(spa, first.refresh_token);
    expect({ status: reuse.status, body: reuse.json }).toEqual({ status: 400, body: INVALID_GRANT });
    // Everything of the grant is dead before the 400 came back; another grant of the client is not.
    for (const token of [
      first.access_token,
      first.refresh_token,
      next.access_token,
      next.refresh_token ?? '',
    ]) {
      expect(await isActive(token)).toBe(false);
    }
    expect((await refreshAs(spa, next.refresh_token ?? '')).status).toBe(400);
    expect(await isActive(other.refresh_token)).toBe(true);
    const lines = await waitForLog((all) =>
      all.some(
        (l) => l.audit?.action === 'refresh_token.reuse_detected' && l.audit?.clientId === spa.clientId,
      ),
    );
    const audit = lines.find(
      (l) => l.audit?.action === 'refresh_token.reuse_detected' && l.audit?.clientId === spa.clientId,
    );
    // The service revoked the grant on its own rule: its actor, the route the reuse came through, and
    // the consumed refresh token presented again (by its id's prefix).
    expect(audit?.audit).toMatchObject({
      who: 'reuse-detection',
      actorType: 'service',
      route: 'POST /oauth2/token',
      tokenKind: 'refresh',
      tokenIdPrefix: hashSecret(first.refresh_token).slice(0, 8),
      grantId: first.refresh_token.slice(7).split('.')[1],
    });
    expect(audit?.raw).not.toContain(first.refresh_token);
  });

  it('lets exactly one of 20 parallel refreshes of one refresh token succeed', async () => {
    const spa = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    const { refresh_token } = await grantTokens(spa);
    const responses = await Promise.all(Array.from({ length: 20 }, () => refreshAs(spa, refresh_token)));
    const won = responses.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    for (const lost of responses.filter((r) => r.status !== 200)) expect(lost.json).toEqual(INVALID_GRANT);
    expect(await isActive((won[0]?.json as Tokens | undefined)?.refresh_token ?? '')).toBe(true);
  });

  it('leaves no token of the grant active when refreshes race a revoke of the grant', async () => {
    for (let round = 0; round < 3; round++) {
      const spa = await registerClient({ public: true, grantTypes: ['refresh_token'] });
      const first = await grantTokens(spa);
      let current = first.refresh_token;
      const minted: string[] = [first.access_token, first.refresh_token];
      const chain = (async () => {
        for (let i = 0; i < 10; i++) {
          const response = await refreshAs(spa, current);
          if (response.status !== 200) return;
          const tokens = response.json as Tokens;
          minted.push(tokens.access_token, tokens.refresh_token ?? '');
          current = tokens.refresh_token ?? '';
        }
      })();
      await sleep(round * 15);
      const revoked = await revokeAs(spa, first.refresh_token);
      expect(revoked.status).toBe(200);
      await chain;
      const states = await Promise.all(minted.map(isActive));
      expect(states.filter(Boolean)).toEqual([]);
    }
  });

  it('leaves no token of the grant active when reuse detection races a legitimate refresh', async () => {
    for (let round = 0; round < 3; round++) {
      const spa = await registerClient({
        public: true,
        grantTypes: ['refresh_token'],
        refreshTokenReuseGraceSeconds: 0,
      });
      const first = await grantTokens(spa);
      const second = (await refreshAs(spa, first.refresh_token)).json as Tokens;
      await sleep(5);
      // The thief replays the consumed token while the client refreshes with its current one.
      const [reuse, legit] = await Promise.all([
        refreshAs(spa, first.refresh_token),
        refreshAs(spa, second.refresh_token ?? ''),
      ]);
      expect(reuse.status).toBe(400);
      const minted = [first.access_token, second.access_token, second.refresh_token ?? ''];
      if (legit.status === 200) {
        const third = legit.json as Tokens;
        minted.push(third.access_token, third.refresh_token ?? '');
      }
      const states = await Promise.all(minted.map(isActive));
      expect(states.filter(Boolean)).toEqual([]);
    }
  });

  it('revokes the whole grant when a consumed refresh token is revoked (RFC 7009)', async () => {
    const spa = await registerClient({
      public: true,
      grantTypes: ['refresh_token'],
      refreshTokenReuseGraceSeconds: 60,
    });
    const first = await grantTokens(spa);
    const next = (await refreshAs(spa, first.refresh_token)).json as Tokens;
    expect((await revokeAs(spa, first.refresh_token)).status).toBe(200);
    expect(await isActive(next.refresh_token ?? '')).toBe(false);
    expect(await isActive(next.access_token)).toBe(false);
  });
});

describe('revocation by subject', () => {
  const subjectOf = () => `user-${Math.random().toString(36).slice(2)}@example.com`;

  it('DELETE /admin/subjects/{subject}/tokens: every token of the subject, of every client, and nothing else', async () => {
    const subject = subjectOf();
    const [a, b] = await Promise.all([registerClient(), registerClient()]);
    const mine = [await grantTokens(a, { subject }), await grantTokens(b, { subject })];
    const someoneElse = await grantTokens(a, { subject: subjectOf() });
    const before = Date.now();
    const response = await admin('DELETE', `/admin/subjects/${encodeURIComponent(subject)}/tokens`);
    expect(response.status).toBe(200);
    expect(Object.keys(response.json as object).sort()).toEqual(['subject', 'tokensRevokedBefore']);
    const { tokensRevokedBefore } = response.json as { subject: string; tokensRevokedBefore: number };
    expect(response.json).toMatchObject({ subject });
    expect(tokensRevokedBefore).toBeGreaterThanOrEqual(before);
    for (const t of mine) {
      expect(await isActive(t.access_token)).toBe(false);
      expect(await isActive(t.refresh_token)).toBe(false);
      expect((await refreshAs(a, t.refresh_token)).status).toBe(400);
    }
    expect(await isActive(someoneElse.access_token)).toBe(true);
    // New tokens for the subject work at once.
    await sleep(2);
    const after = await grantTokens(a, { subject });
    expect(await isActive(after.access_token)).toBe(true);
  });

  it('is idempotent, and a subject without tokens is not an error', async () => {
    const subject = subjectOf();
    for (let i = 0; i < 2; i++)
      expect((await admin('DELETE', `/admin/subjects/${subject}/tokens`)).status).toBe(200);
    const tooLong = await admin('DELETE', `/admin/subjects/${'x'.repeat(257)}/tokens`);
    expect(tooLong.status).toBe(400);
  });

  it('POST /admin/global-token-revocation: opaque and iss_sub subject identifiers, 204', async () => {
    const subject = subjectOf();
    const client = await registerClient();
    const opaque = await grantTokens(client, { subject });
    const response = await admin('POST', '/admin/global-token-revocation', {
      sub_id: { format: 'opaque', id: subject },
    });
    expect(response.status).toBe(204);
    expect(await isActive(opaque.access_token)).toBe(false);
    expect(await isActive(opaque.refresh_token)).toBe(false);

    await sleep(2);
    const again = await grantTokens(client, { subject });
    const metadata = (await (
      await fetch(
        new URL(
          '/.well-known/oauth-authorization-server',
          (
            await import('#test/support/helpers.ts')
          ).baseUrl,
        ),
      )
    ).json()) as { issuer: string };
    const issSub = await admin('POST', '/admin/global-token-revocation', {
      sub_id: { format: 'iss_sub', iss: metadata.issuer, sub: subject },
    });
    expect(issSub.status).toBe(204);
    expect(await isActive(again.access_token)).toBe(false);
  });

  it.each([
    ['another issuer', { sub_id: { format: 'iss_sub', iss: 'https://elsewhere.example', sub: 'alice' } }],
    ['another format', { sub_id: { format: 'email', email: 'alice@example.com' } }],
  ])('POST /admin/global-token-revocation refuses %s with 400 invalid_request', async (_name, body) => {
    const response = await admin('POST', '/admin/global-token-revocation', body);
    expect({ status: response.status, body: response.json }).toEqual({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });

  // [v3] Strict admin input: a missing field, or one of the wrong type or out of range, is named.
  it.each([
    ['no sub_id', {}, '"sub_id" is required'],
    [
      'a sub_id that is no object',
      { sub_id: 'alice' },
      '"sub_id" must be an RFC 9493 subject identifier (a JSON object)',
    ],
    [
      'an empty id',
      { sub_id: { format: 'opaque', id: '' } },
      '"id" must be a non-empty string of at most 256 characters',
    ],
    [
      'a sub of the wrong type',
      { sub_id: { format: 'iss_sub', iss: 'x', sub: 5 } },
      '"sub" must be a non-empty string of at most 256 characters',
    ],
  ])(
    'POST /admin/global-token-revocation refuses %s with 400 invalid_request naming the field',
    async (_name, body, description) => {
      const response = await admin('POST', '/admin/global-token-revocation', body);
      expect({ status: response.status, body: response.json }).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: description },
      });
    },
  );

  it('POST /admin/global-token-revocation refuses malformed JSON with 400', async () => {
    const { adminRequest } = await import('#tools/admin-client.ts');
    const { ADMIN, baseUrl } = await import('#test/support/helpers.ts');
    const response = await fetch(new URL('/admin/global-token-revocation', baseUrl), { method: 'POST' });
    expect(response.status).toBe(403);
    const signed = await adminRequest(baseUrl, 'POST', '/admin/global-token-revocation', ADMIN, {
      body: '{"sub_id":',
    });
    expect(signed.status).toBe(400);
  });
});

describe('grants in the audit log', () => {
  it('names the grant of a revoked refresh token', async () => {
    const client = await registerClient();
    const { refresh_token } = await grantTokens(client);
    expect((await revokeAs(client, refresh_token)).status).toBe(200);
    const grantId = refresh_token.slice(7).split('.')[1];
    const lines = await waitForLog((all) => all.some((l) => l.audit?.grantId === grantId));
    expect(lines.filter((l) => l.audit?.grantId === grantId)).toHaveLength(1);
    expect(logLines().some((l) => l.raw.includes(refresh_token))).toBe(false);
  });
});
