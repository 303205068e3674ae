import { describe, expect, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import {
  admin,
  call,
  clientCredentials,
  grantTokens,
  type LogLine,
  logLines,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
  waitForLog,
} from '#test/support/helpers.ts';

/** Who the local server says signed an admin call (its stand-in for the IAM authorizer's identity). */
const ADMIN_PRINCIPAL = 'arn:aws:iam::000000000000:user/local-admin';

/**
 * The audit lines about a client's tokens, read once the server has logged `requests` request lines for
 * that route and client. A handler writes its audit line before its request line, on the same stream, so
 * by then every audit line of those requests is in the file.
 */
async function auditLines(clientId: string, route: string, requests = 1): Promise<LogLine[]> {
  const lines = await waitForLog(
    (all) =>
      all.filter((l) => l.message === 'request' && l.route === route && l.clientId === clientId).length >=
      requests,
  );
  return lines.filter((l) => l.message === 'token revoked' && l.audit?.clientId === clientId);
}

/** The prefix of a token's id (SHA-256, base64url) that an audit line may carry. */
const prefixOf = (token: string) => hashSecret(token).slice(0, 8);

/** The grant a token names: the second dot-separated field after its 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1];

/**
 * Checks the one audit line of a revocation: its fields, when it was written, and that it carries no raw
 * token and no secret.
 */
function expectAudit(
  lines: LogLine[],
  expected: Record<string, unknown>,
  window: { before: number; after: number },
  secrets: string[],
) {
  expect(lines).toHaveLength(1);
  const [line] = lines;
  expect(line).toMatchObject({ level: 'INFO', message: 'token revoked', service: 'token-revocation' });
  expect(line?.audit).toEqual({ action: 'revoke', ...expected, at: expect.any(String) });
  const at = Date.parse(String(line?.audit?.at));
  expect(at).toBeGreaterThanOrEqual(window.before);
  expect(at).toBeLessThanOrEqual(window.after);
  for (const secret of secrets) expect(line?.raw).not.toContain(secret);
  expect(line?.raw).not.toMatch(/authorization|Basic |Bearer |AWS4-HMAC/i);
}

async function timed<T>(action: () => Promise<T>) {
  const before = Date.now();
  const result = await action();
  return { result, window: { before, after: Date.now() } };
}

const revoke = (client: RegisteredClient, token: string, hint?: string) =>
  postForm(
    '/oauth2/revoke',
    { token, ...(hint !== undefined && { token_type_hint: hint }) },
    { auth: [client.clientId, client.clientSecret] },
  );

async function refreshedAccessToken(client: RegisteredClient, refreshToken: string): Promise<string> {
  const response = await refresh(client, refreshToken);
  if (response.status !== 200) throw new Error(`refresh failed: ${response.text}`);
  return (response.json as Tokens).access_token;
}

describe('audit log: one "token revoked" line per revocation', () => {
  it('RFC 7009 revoke of an access token: the client, its token id prefix, no cascade', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);

    const { result, window } = await timed(() => revoke(client, tokens.access_token));

    expect(result.status).toBe(200);
    expectAudit(
      await auditLines(client.clientId, 'POST /oauth2/revoke'),
      {
        route: 'POST /oauth2/revoke',
        who: client.clientId,
        clientId: client.clientId,
        tokenKind: 'access',
        tokenIdPrefix: prefixOf(tokens.access_token),
        cascade: 0,
      },
      window,
      [tokens.access_token, client.clientSecret],
    );
  });

  it('RFC 7009 revoke of a refresh token: its grant, and the cascade counts every token of the grant', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const refreshToken = tokens.refresh_token;
    const children = [tokens.access_token, await refreshedAccessToken(client, refreshToken)];
    children.push(await refreshedAccessToken(client, refreshToken));

    const { window } = await timed(() => revoke(client, refreshToken, 'refresh_token'));

    expectAudit(
      await auditLines(client.clientId, 'POST /oauth2/revoke'),
      {
        route: 'POST /oauth2/revoke',
        who: client.clientId,
        clientId: client.clientId,
        tokenKind: 'refresh',
        tokenIdPrefix: prefixOf(refreshToken),
        grantId: grantIdOf(refreshToken),
        // The refresh token itself and the grant's three access tokens.
        cascade: 4,
      },
      window,
      [refreshToken, ...children, client.clientSecret],
    );
  });

  it('DELETE /oauth/token: the bearer invalidating its own token', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);

    const { result, window } = await timed(() =>
      call('DELETE', '/oauth/token', { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );

    expect(result.status).toBe(200);
    expectAudit(
      await auditLines(client.clientId, 'DELETE /oauth/token'),
      {
        route: 'DELETE /oauth/token',
        who: client.clientId,
        clientId: client.clientId,
        tokenKind: 'access',
        tokenIdPrefix: prefixOf(tokens.access_token),
        cascade: 0,
      },
      window,
      [tokens.access_token],
    );
  });

  it('admin access token delete: the IAM principal, never the token from the path', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    const route = 'DELETE /admin/oauth2/accesstokens/{access_token}';

    const { result, window } = await timed(() =>
      admin('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`),
    );

    expect(result.status).toBe(200);
    expectAudit(
      await auditLines(client.clientId, route),
      {
        route,
        who: ADMIN_PRINCIPAL,
        clientId: client.clientId,
        tokenKind: 'access',
        tokenIdPrefix: prefixOf(tokens.access_token),
        cascade: 0,
      },
      window,
      [tokens.access_token],
    );
  });

  it('admin refresh token delete: the IAM principal, the grant and the cascade', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const refreshToken = tokens.refresh_token;
    const child = await refreshedAccessToken(client, refreshToken);
    const route = 'DELETE /admin/oauth2/refreshtokens/{refresh_token}';

    const { result, window } = await timed(() =>
      admin('DELETE', `/admin/oauth2/refreshtokens/${refreshToken}`),
    );

    expect(result.status).toBe(200);
    expectAudit(
      await auditLines(client.clientId, route),
      {
        route,
        who: ADMIN_PRINCIPAL,
        clientId: client.clientId,
        tokenKind: 'refresh',
        tokenIdPrefix: prefixOf(refreshToken),
        grantId: grantIdOf(refreshToken),
        // The refresh token itself and the grant's two access tokens.
        cascade: 3,
      },
      window,
      [refreshToken, tokens.access_token, child],
    );
  });

  it('admin revoke of all tokens of a client: kind "all", the count as cascade', async () => {
    const client = await registerClient();
    // A client_credentials access token (no refresh token) and a grant's access and refresh tokens.
    const standalone = await clientCredentials(client);
    const grant = await grantTokens(client);
    const route = 'DELETE /admin/clients/{clientId}/tokens';

    const { result, window } = await timed(() => admin('DELETE', `/admin/clients/${client.clientId}/tokens`));

    expect(result.json).toEqual({ revokedTokens: 3 });
    expectAudit(
      await auditLines(client.clientId, route),
      { route, who: ADMIN_PRINCIPAL, clientId: client.clientId, tokenKind: 'all', cascade: 3 },
      window,
      [standalone.access_token, grant.access_token, grant.refresh_token],
    );
  });

  it('admin client delete: kind "all", the count as cascade', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const route = 'DELETE /admin/clients/{clientId}';

    const { result, window } = await timed(() => admin('DELETE', `/admin/clients/${client.clientId}`));

    expect(result.json).toEqual({ clientId: client.clientId, revokedTokens: 2 });
    expectAudit(
      await auditLines(client.clientId, route),
      { route, who: ADMIN_PRINCIPAL, clientId: client.clientId, tokenKind: 'all', cascade: 2 },
      window,
      [tokens.access_token, tokens.refresh_token, client.clientSecret],
    );
  });

  it('writes no audit line when nothing was revoked: unknown or already revoked tokens', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expect((await revoke(client, tokens.access_token)).status).toBe(200);

    // A second revoke of the same token and a revoke of a token never issued: both 200, both no-ops.
    expect((await revoke(client, tokens.access_token)).status).toBe(200);
    expect((await revoke(client, 'bmV2ZXItaXNzdWVkLXRva2VuLXZhbHVlLWZvci1hdWRpdA')).status).toBe(200);

    const lines = await auditLines(client.clientId, 'POST /oauth2/revoke', 3);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.audit).toMatchObject({ tokenIdPrefix: prefixOf(tokens.access_token) });
  });

  it("writes no audit line when a public client's revoke of another client's token is ignored", async () => {
    const owner = await registerClient();
    const tokens = await clientCredentials(owner);
    const stranger = await registerClient({ public: true, grantTypes: ['refresh_token'] });

    const response = await postForm('/oauth2/revoke', {
      client_id: stranger.clientId,
      token: tokens.access_token,
    });

    expect(response.status).toBe(200);
    await auditLines(stranger.clientId, 'POST /oauth2/revoke');
    expect(
      logLines().filter((l) => l.message === 'token revoked' && l.audit?.clientId === owner.clientId),
    ).toEqual([]);
  });
});
