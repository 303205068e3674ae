import { describe, expect, it } from 'vitest';
import { type RevocationType, revocationId } from '#commons/domain/events.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import {
  admin,
  call,
  clientCredentials,
  grantTokens,
  LOCAL_ADMIN_PRINCIPAL,
  type LogLine,
  logLines,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
  waitForLog,
} from '#test/support/helpers.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';

/** Who the local server says signed an admin call (its stand-in for the IAM authorizer's identity). */
const ADMIN_PRINCIPAL = LOCAL_ADMIN_PRINCIPAL;

/**
 * The request lines that record a revocation of a client's tokens, read once the server has logged
 * `requests` request lines for that route and client. A revocation's audit fields are on its request's
 * one line (`audit`), not a line of their own.
 */
async function auditLines(clientId: string, route: string, requests = 1): Promise<LogLine[]> {
  const lines = await waitForLog(
    (all) =>
      all.filter((l) => l.message === 'request' && l.route === route && l.clientId === clientId).length >=
      requests,
  );
  return lines.filter((l) => l.message === 'request' && l.audit?.clientId === clientId);
}

/** The prefix of a token's id (SHA-256, base64url) that an audit line may carry. */
const prefixOf = (token: string) => hashSecret(token).slice(0, 8);

/** The grant a token names: the second dot-separated field after its 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1];

/**
 * Checks the one audit line of a revocation: its fields, when it was written, its id (the revocation
 * event's, so the line joins the event the publisher sends: made from the type, what was revoked and the
 * instant), and that it carries no raw token and no secret.
 */
function expectAudit(
  lines: LogLine[],
  expected: { action: RevocationType; revoked: string } & Record<string, unknown>,
  window: { before: number; after: number },
  secrets: string[],
) {
  expect(lines).toHaveLength(1);
  const [line] = lines;
  const { revoked, ...fields } = expected;
  expect(line).toMatchObject({ level: 'INFO', message: 'request' });
  // The request's one line: no line of its own for the revocation.
  const invocation = logLines().filter((l) => l.function_request_id === line?.function_request_id);
  expect(invocation.filter((l) => l.level === 'INFO')).toHaveLength(1);
  expect(line?.audit).toEqual({ ...fields, id: expect.any(String), at: expect.any(String) });
  const at = Date.parse(String(line?.audit?.at));
  expect(at).toBeGreaterThanOrEqual(window.before);
  expect(at).toBeLessThanOrEqual(window.after);
  expect(line?.audit?.id).toBe(revocationId(expected.action, revoked, at));
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

describe('audit log: the audit fields of each revocation on its request line', () => {
  it('RFC 7009 revoke of an access token: token.revoked by the client, its token id prefix', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);

    const { result, window } = await timed(() => revoke(client, tokens.access_token));

    expect(result.status).toBe(200);
    expectAudit(
      await auditLines(client.clientId, 'POST /oauth2/revoke'),
      {
        action: 'token.revoked',
        revoked: hashSecret(tokens.access_token),
        route: 'POST /oauth2/revoke',
        who: client.clientId,
        actorType: 'client',
        clientId: client.clientId,
        tokenKind: 'access',
        tokenIdPrefix: prefixOf(tokens.access_token),
      },
      window,
      [tokens.access_token, client.clientSecret],
    );
  });

  it('RFC 7009 revoke of a refresh token: grant.revoked, the grant and the refresh token presented', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const refreshToken = tokens.refresh_token;
    const children = [tokens.access_token, await refreshedAccessToken(client, refreshToken)];
    children.push(await refreshedAccessToken(client, refreshToken));

    const { window } = await timed(() => revoke(client, refreshToken, 'refresh_token'));

    expectAudit(
      await auditLines(client.clientId, 'POST /oauth2/revoke'),
      {
        action: 'grant.revoked',
        revoked: grantIdOf(refreshToken) ?? '',
        route: 'POST /oauth2/revoke',
        who: client.clientId,
        actorType: 'client',
        clientId: client.clientId,
        tokenKind: 'refresh',
        tokenIdPrefix: prefixOf(refreshToken),
        grantId: grantIdOf(refreshToken),
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
        action: 'token.revoked',
        revoked: hashSecret(tokens.access_token),
        route: 'DELETE /oauth/token',
        who: client.clientId,
        actorType: 'bearer',
        clientId: client.clientId,
        tokenKind: 'access',
        tokenIdPrefix: prefixOf(tokens.access_token),
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
        action: 'token.revoked',
        revoked: hashSecret(tokens.access_token),
        route,
        who: ADMIN_PRINCIPAL,
        actorType: 'iam',
        clientId: client.clientId,
        tokenKind: 'access',
        tokenIdPrefix: prefixOf(tokens.access_token),
      },
      window,
      [tokens.access_token],
    );
  });

  it('admin refresh token delete: grant.revoked by the IAM principal, the grant', async () => {
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
        action: 'grant.revoked',
        revoked: grantIdOf(refreshToken) ?? '',
        route,
        who: ADMIN_PRINCIPAL,
        actorType: 'iam',
        clientId: client.clientId,
        tokenKind: 'refresh',
        tokenIdPrefix: prefixOf(refreshToken),
        grantId: grantIdOf(refreshToken),
      },
      window,
      [refreshToken, tokens.access_token, child],
    );
  });

  it('admin revoke of all tokens of a client: client.tokens_revoked, its cut-off', async () => {
    const client = await registerClient();
    // A client_credentials access token (no refresh token) and a grant's access and refresh tokens.
    const standalone = await clientCredentials(client);
    const grant = await grantTokens(client);
    const route = 'DELETE /admin/clients/{clientId}/tokens';

    const { result, window } = await timed(() => admin('DELETE', `/admin/clients/${client.clientId}/tokens`));

    const { tokensRevokedBefore } = result.json as { tokensRevokedBefore: number };
    expect(result.json).toEqual({ clientId: client.clientId, tokensRevokedBefore });
    expectAudit(
      await auditLines(client.clientId, route),
      {
        action: 'client.tokens_revoked',
        revoked: client.clientId,
        route,
        who: ADMIN_PRINCIPAL,
        actorType: 'iam',
        clientId: client.clientId,
        tokensRevokedBefore,
      },
      window,
      [standalone.access_token, grant.access_token, grant.refresh_token],
    );
  });

  it('admin client delete: client.deleted by the IAM principal', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const route = 'DELETE /admin/clients/{clientId}';

    const { result, window } = await timed(() => admin('DELETE', `/admin/clients/${client.clientId}`));

    expect(result.json).toEqual({ clientId: client.clientId });
    expectAudit(
      await auditLines(client.clientId, route),
      {
        action: 'client.deleted',
        revoked: client.clientId,
        route,
        who: ADMIN_PRINCIPAL,
        actorType: 'iam',
        clientId: client.clientId,
      },
      window,
      [tokens.access_token, tokens.refresh_token, client.clientSecret],
    );
  });

  it("admin revoke of a subject's tokens: subject.tokens_revoked with the subject's key, never the subject", async () => {
    const subject = `audit-subject-${crypto.randomUUID()}`;
    const client = await registerClient();
    const tokens = await grantTokens(client, { subject });
    const route = 'DELETE /admin/subjects/{subject}/tokens';
    const subjectKey = subjectKeyOf(subject);

    const { result, window } = await timed(() =>
      admin('DELETE', `/admin/subjects/${encodeURIComponent(subject)}/tokens`),
    );

    expect(result.status).toBe(200);
    const { tokensRevokedBefore } = result.json as { tokensRevokedBefore: number };
    const lines = await waitForLog((all) => all.some((l) => l.audit?.subjectKey === subjectKey));
    const mine = lines.filter((l) => l.message === 'request' && l.audit?.subjectKey === subjectKey);
    expectAudit(
      mine,
      {
        action: 'subject.tokens_revoked',
        revoked: subjectKey,
        route,
        who: ADMIN_PRINCIPAL,
        actorType: 'iam',
        subjectKey,
        tokensRevokedBefore,
      },
      window,
      // The subject may be personal data: the line names it by its key only.
      [subject, tokens.access_token, tokens.refresh_token],
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
    expect(logLines().filter((l) => l.audit !== undefined && l.audit.clientId === owner.clientId)).toEqual(
      [],
    );
  });
});
