/**
 * Compatibility with KorAP Kustvakt's OAuth2 token revocation (RFC 7009), replayed as documented:
 * https://github.com/KorAP/Kustvakt/wiki/Service:-OAuth2-Token-Revocation
 *
 * Documented: POST root/oauth2/revoke, application/x-www-form-urlencoded, parameters client_id (required),
 * client_secret (confidential clients), token (access or refresh token), token_type (optional hint). "When
 * revoking a refresh token, all access tokens associated with the refresh token are also revoked." Its two
 * curl examples:
 *   curl -H 'Content-Type: application/x-www-form-urlencoded' \
 *     -d 'client_id=io8MvuTN3reflIaESwe5tGd&token=mPUkiQ86cT1YeblMqjr9' http://localhost:8089/api/v1.0/oauth2/revoke
 *   curl -H 'Content-Type: application/x-www-form-urlencoded' \
 *     -d 'client_id=YMirwQ-beCp5Rxiw4yH&client_secret=nS8cz9Fa5Wl2fbHrM&token=Q4lxNpch72FUwhO&token_type=refresh_token' \
 *     http://localhost:8089/api/v1.0/oauth2/revoke
 * Kustvakt's users obtain tokens through its authorization code flow; here the upstream authorization server hands
 * them over through POST /admin/tokens, which is what the tests do.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  call,
  introspect,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
} from '#test/support/helpers.ts';

/** The documented curl call: a raw form body, as `curl -d` sends it. */
const curlRevoke = (body: string) =>
  call('POST', '/oauth2/revoke', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });

async function userTokens(clientId: string): Promise<Tokens> {
  const response = await admin('POST', '/admin/tokens', {
    clientId,
    subject: 'korap-user',
    refreshToken: true,
  });
  if (response.status !== 201) throw new Error(`mint failed: ${JSON.stringify(response.json)}`);
  return response.json as Tokens;
}

let resourceServer: RegisteredClient;

beforeAll(async () => {
  resourceServer = await registerClient({ name: 'kustvakt resource server' });
});

const isActive = async (token: string) => (await introspect(resourceServer, token)).active === true;

describe('KorAP Kustvakt: OAuth2 token revocation', () => {
  it('"Revoking an access token of a public client": client_id and token -> 200, that access token only', async () => {
    const publicClient = await registerClient({
      name: 'kalamar plugin',
      public: true,
      grantTypes: ['refresh_token'],
    });
    const tokens = await userTokens(publicClient.clientId);

    const response = await curlRevoke(`client_id=${publicClient.clientId}&token=${tokens.access_token}`);

    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(await isActive(tokens.access_token)).toBe(false);
    expect(await isActive(tokens.refresh_token ?? '')).toBe(true);
  });

  it('"Revoking a refresh token of a confidential client": with client_secret and token_type=refresh_token -> 200, its access tokens revoked too', async () => {
    const confidential = await registerClient({ name: 'korap confidential client' });
    const tokens = await userTokens(confidential.clientId);
    const refreshToken = tokens.refresh_token ?? '';
    const accessTokens = [tokens.access_token];
    for (let i = 0; i < 2; i++) {
      const next = await refresh(confidential, refreshToken);
      expect(next.status).toBe(200);
      accessTokens.push((next.json as Tokens).access_token);
    }

    const response = await curlRevoke(
      `client_id=${confidential.clientId}&client_secret=${confidential.clientSecret}&token=${refreshToken}&token_type=refresh_token`,
    );

    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(await isActive(refreshToken)).toBe(false);
    for (const token of accessTokens) expect(await isActive(token)).toBe(false);
    expect((await refresh(confidential, refreshToken)).json).toMatchObject({ error: 'invalid_grant' });
  });

  it('a public client revoking its refresh token revokes the associated access tokens too', async () => {
    const publicClient = await registerClient({
      name: 'kalamar plugin',
      public: true,
      grantTypes: ['refresh_token'],
    });
    const tokens = await userTokens(publicClient.clientId);

    const response = await curlRevoke(`client_id=${publicClient.clientId}&token=${tokens.refresh_token}`);

    expect(response.status).toBe(200);
    expect(await isActive(tokens.refresh_token ?? '')).toBe(false);
    expect(await isActive(tokens.access_token)).toBe(false);
  });

  it('the documented sample token, unknown here, is revoked "successfully" (RFC 7009 2.2)', async () => {
    const publicClient = await registerClient({
      name: 'kalamar plugin',
      public: true,
      grantTypes: ['refresh_token'],
    });
    const response = await curlRevoke(`client_id=${publicClient.clientId}&token=mPUkiQ86cT1YeblMqjr9`);
    expect(response.status).toBe(200);
  });

  it('a confidential client must send its client_secret: client_id alone is 401 invalid_client', async () => {
    const confidential = await registerClient({ name: 'korap confidential client' });
    const tokens = await userTokens(confidential.clientId);

    const response = await curlRevoke(
      `client_id=${confidential.clientId}&token=${tokens.refresh_token}&token_type=refresh_token`,
    );

    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: 'invalid_client' });
    expect(await isActive(tokens.refresh_token ?? '')).toBe(true);
  });
});
