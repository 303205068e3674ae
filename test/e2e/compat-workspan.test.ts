/**
 * Compatibility with the Workspan Authentication API's "Invalidate access token", replayed as documented:
 * https://developer.workspan.com/docs/services/authentication-api/operations/delete-token
 * (OpenAPI export: https://developer.workspan.com/docs/services/authentication-api/export?DocumentFormat=OpenApi;
 * bearer header and `x-ws-env`: https://support.workspan.com/hc/en-us/articles/4420960451859-Introduction-to-WorkSpan-API)
 *
 * Documented: `DELETE /oauth/token` with `Authorization: Bearer <access token>`; 200 "Empty body with 200 code";
 * 403 "Access Token already invalidated or not found". The code sample is
 * `curl -v -X DELETE "https://api-sandbox.workspan.com/oauth/token" --data-ascii "{body}"`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  clientCredentials,
  grantTokens,
  introspect,
  type RegisteredClient,
  registerClient,
} from '#test/support/helpers.ts';

const invalidate = (token: string, extra: RequestInit = {}) =>
  call('DELETE', '/oauth/token', {
    ...extra,
    headers: { authorization: `Bearer ${token}`, ...(extra.headers as Record<string, string>) },
  });

let resourceServer: RegisteredClient;

beforeAll(async () => {
  resourceServer = await registerClient({ name: 'workspan resource server' });
});

describe('Workspan Authentication API: Invalidate access token', () => {
  it("issues a user's tokens with the fields of Workspan's token response example", async () => {
    const client = await registerClient({ name: 'workspan application user' });
    // A signed-in user's tokens, handed over by the upstream authorization server, come with a refresh token.
    const tokens = await grantTokens(client, { subject: 'workspan-user' });
    expect(tokens).toMatchObject({
      access_token: expect.stringMatching(/^rvk_at_[A-Za-z0-9._-]+$/),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.stringMatching(/^rvk_rt_[A-Za-z0-9._-]+$/),
    });
  });

  it('issues client_credentials tokens with the same fields but no refresh token (RFC 6749 4.4.3)', async () => {
    const client = await registerClient({ name: 'workspan application user' });
    const tokens = await clientCredentials(client);
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^rvk_at_[A-Za-z0-9._-]+$/),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read write',
    });
  });

  it('DELETE /oauth/token with the bearer: 200 with an empty body, and the token no longer works', async () => {
    const client = await registerClient({ name: 'workspan application user' });
    const tokens = await clientCredentials(client);

    const response = await invalidate(tokens.access_token);

    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(await introspect(resourceServer, tokens.access_token)).toEqual({ active: false });
  });

  it('the same request again: 403 "Access Token already invalidated or not found"', async () => {
    const client = await registerClient({ name: 'workspan application user' });
    const tokens = await clientCredentials(client);
    expect((await invalidate(tokens.access_token)).status).toBe(200);

    const again = await invalidate(tokens.access_token);

    expect(again.status).toBe(403);
    expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    expect(again.json).toMatchObject({ error_description: 'Access Token already invalidated or not found' });
  });

  it('a token that was never issued: 403 "Access Token already invalidated or not found"', async () => {
    const response = await invalidate('2YotnFZFEjr1zCsicMWpAA');
    expect(response.status).toBe(403);
    expect(response.json).toMatchObject({
      error_description: 'Access Token already invalidated or not found',
    });
  });

  it("the documented curl sample's body and the sandbox x-ws-env header change nothing", async () => {
    const client = await registerClient({ name: 'workspan application user' });
    const tokens = await clientCredentials(client);
    // curl's --data-ascii sends the placeholder as a form body.
    const sample = {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-ws-env': 'ws-api-1.appspot.com',
      },
      body: '{body}',
    };

    const first = await invalidate(tokens.access_token, sample);
    const second = await invalidate(tokens.access_token, sample);

    expect(first.status).toBe(200);
    expect(first.text).toBe('');
    expect(second.status).toBe(403);
    expect(second.json).toMatchObject({ error_description: 'Access Token already invalidated or not found' });
  });
});
