/**
 * Compatibility with Projector PSA's PwsRevokeOauth2RefreshToken (SOAP alternative of its oauth2revoketoken
 * service), replayed as documented:
 * https://projectorpsa.atlassian.net/wiki/spaces/AD/pages/9374122/PwsRevokeOauth2RefreshToken
 *
 * Documented request elements: ClientIdentifier (required), ClientSecret (required), Token (required, a refresh
 * token), TokenType (optional, "refresh_token", assumed if omitted; the sample request omits it). The service
 * "will respond with success whether or not the presented refresh token is currently valid and in play, or has
 * been previously revoked" and "will complain if the token presented is of incorrect or invalid form".
 * Here the elements become the RFC 7009 form parameters client_id, client_secret, token and token_type of
 * POST /oauth2/revoke; success is 200 with an empty body.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  grantTokens,
  introspect,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
} from '#test/support/helpers.ts';

interface PwsRevokeOauth2RefreshTokenRq {
  ClientIdentifier: string;
  ClientSecret: string;
  Token: string;
  TokenType?: string;
}

/** The documented request elements, mapped one to one onto POST /oauth2/revoke. */
function pwsRevokeOauth2RefreshToken(request: PwsRevokeOauth2RefreshTokenRq) {
  return postForm('/oauth2/revoke', {
    client_id: request.ClientIdentifier,
    client_secret: request.ClientSecret,
    token: request.Token,
    ...(request.TokenType !== undefined && { token_type: request.TokenType }),
  });
}

let resourceServer: RegisteredClient;

beforeAll(async () => {
  resourceServer = await registerClient({ name: 'projector resource server' });
});

/**
 * A client app's live refresh token with two access tokens of its grant: the one handed over with it
 * (client_credentials issues no refresh token, RFC 6749 4.4.3) and one refreshed from it.
 */
async function connection() {
  const app = await registerClient({ name: 'projector client app' });
  const tokens = await grantTokens(app);
  const next = await refresh(app, tokens.refresh_token);
  expect(next.status).toBe(200);
  const accessTokens = [tokens.access_token, (next.json as Tokens).access_token];
  return { app, refreshToken: tokens.refresh_token, accessTokens };
}

describe('Projector PSA PwsRevokeOauth2RefreshToken', () => {
  it('revokes a live refresh token (TokenType=refresh_token): 200, and it and its access tokens stop working', async () => {
    const { app, refreshToken, accessTokens } = await connection();

    const response = await pwsRevokeOauth2RefreshToken({
      ClientIdentifier: app.clientId,
      ClientSecret: app.clientSecret,
      Token: refreshToken,
      TokenType: 'refresh_token',
    });

    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    const again = await refresh(app, refreshToken);
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ error: 'invalid_grant' });
    for (const token of accessTokens) {
      expect(await introspect(resourceServer, token)).toEqual({ active: false });
    }
  });

  it('revokes it with TokenType omitted, as in the documented sample request', async () => {
    const { app, refreshToken } = await connection();

    const response = await pwsRevokeOauth2RefreshToken({
      ClientIdentifier: app.clientId,
      ClientSecret: app.clientSecret,
      Token: refreshToken,
    });

    expect(response.status).toBe(200);
    expect(await introspect(resourceServer, refreshToken)).toEqual({ active: false });
  });

  it('succeeds for a refresh token that was previously revoked', async () => {
    const { app, refreshToken } = await connection();
    const request = {
      ClientIdentifier: app.clientId,
      ClientSecret: app.clientSecret,
      Token: refreshToken,
      TokenType: 'refresh_token',
    };
    expect((await pwsRevokeOauth2RefreshToken(request)).status).toBe(200);

    const again = await pwsRevokeOauth2RefreshToken(request);

    expect(again.status).toBe(200);
    expect(again.text).toBe('');
  });

  it('succeeds for a well-formed refresh token that is not in play (the documented sample token)', async () => {
    const app = await registerClient({ name: 'projector client app' });
    const response = await pwsRevokeOauth2RefreshToken({
      ClientIdentifier: app.clientId,
      ClientSecret: app.clientSecret,
      Token: 'E2BgYJjLoNrEY50z-7gMN1evukfd3EWpZcn5RQW6xemGeYelfl_aetMDAA',
      TokenType: 'refresh_token',
    });
    expect(response.status).toBe(200);
  });

  it('also takes an access token (TokenType=access_token), and ignores a TokenType it does not know', async () => {
    const { app, refreshToken, accessTokens } = await connection();
    const [first, second] = accessTokens;
    const credentials = { ClientIdentifier: app.clientId, ClientSecret: app.clientSecret };

    const asAccess = await pwsRevokeOauth2RefreshToken({
      ...credentials,
      Token: first ?? '',
      TokenType: 'access_token',
    });
    const unknownType = await pwsRevokeOauth2RefreshToken({
      ...credentials,
      Token: second ?? '',
      TokenType: 'bearer',
    });

    expect(asAccess.status).toBe(200);
    expect(unknownType.status).toBe(200);
    for (const token of accessTokens) {
      expect(await introspect(resourceServer, token)).toEqual({ active: false });
    }
    // Only the access tokens were named, so the refresh token stays in play.
    expect(await introspect(resourceServer, refreshToken)).toMatchObject({ active: true });
  });

  it('complains about a token of invalid form: 400 invalid_request, and revokes nothing', async () => {
    const { app, refreshToken } = await connection();
    for (const token of [`${refreshToken} `, `<req:Token>${refreshToken}</req:Token>`, 'x'.repeat(8193)]) {
      const response = await pwsRevokeOauth2RefreshToken({
        ClientIdentifier: app.clientId,
        ClientSecret: app.clientSecret,
        Token: token,
        TokenType: 'refresh_token',
      });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ error: 'invalid_request' });
    }
    expect(await introspect(resourceServer, refreshToken)).toMatchObject({ active: true });
  });

  it('refuses a wrong ClientSecret with 401 invalid_client, and revokes nothing', async () => {
    const { app, refreshToken } = await connection();

    const response = await pwsRevokeOauth2RefreshToken({
      ClientIdentifier: app.clientId,
      ClientSecret: 'r6tuVhR3ol1BFFVfy3Oe-J8VoH0KpkgLVqAMi-IIgvd_Lr613IEYcXhKAea8eLtQKSIgQ4jHIKhCKQcwriUtgB',
      Token: refreshToken,
      TokenType: 'refresh_token',
    });

    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: 'invalid_client' });
    expect(await introspect(resourceServer, refreshToken)).toMatchObject({ active: true });
  });

  it('refuses an unknown ClientIdentifier with 401 invalid_client', async () => {
    const { refreshToken } = await connection();
    const response = await pwsRevokeOauth2RefreshToken({
      ClientIdentifier: '24748faf-e239-d132-167a-6e4d3e1bd0fb',
      ClientSecret: 'r6tuVhR3ol1BFFVfy3Oe-J8VoH0KpkgLVqAMi-IIgvd_Lr613IEYcXhKAea8eLtQKSIgQ4jHIKhCKQcwriUtgB',
      Token: refreshToken,
      TokenType: 'refresh_token',
    });
    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: 'invalid_client' });
  });
});
