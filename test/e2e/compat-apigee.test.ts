/**
 * Compatibility with Apigee Edge's management API "Delete an Access Token", replayed as documented:
 * http://apigee.com/docs/api/api_methods/114-delete-an-access-token
 *
 * Documented: `curl -u myname:mypass https://api.enterprise.apigee.com/v1/o/{org_name}/oauth2/accesstokens/{access_token} -X DELETE`
 * returns the token's profile (clientId, attributes, createdAt, expiresAt, grantType, issuedAt, lastModifiedAt,
 * refreshCount, scope, status, token, tokenType "BearerToken"; times as Unix epoch milliseconds; status one of
 * approved, revoked, expired); an unknown token is a 404 with code `keymanagement.service.invalid_account_name`.
 * Here the path lives under `/admin` and the call is signed with SigV4 instead of Basic credentials.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  call,
  clientCredentials,
  introspect,
  type RegisteredClient,
  registerClient,
} from '#test/support/helpers.ts';

const deleteAccessToken = (token: string) => admin('DELETE', `/admin/oauth2/accesstokens/${token}`);

/** 13-digit Unix time in milliseconds, as Apigee's sample response shows (e.g. 1343038476540). */
const EPOCH_MS = /^\d{13}$/;

let resourceServer: RegisteredClient;

beforeAll(async () => {
  resourceServer = await registerClient({ name: 'apigee resource server' });
});

describe('Apigee Edge management API: Delete an Access Token', () => {
  it('DELETE .../oauth2/accesstokens/{access_token}: 200 with the documented profile fields', async () => {
    const app = await registerClient({ name: 'app1', scopes: ['read'], accessTokenTtl: 1800 });
    const tokens = await clientCredentials(app, 'read');

    const response = await deleteAccessToken(tokens.access_token);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const profile = response.json as Record<string, unknown>;
    expect(profile).toMatchObject({
      attributes: [],
      clientId: app.clientId,
      grantType: 'client_credentials',
      refreshCount: 0,
      scope: 'read',
      status: 'revoked',
      token: tokens.access_token,
      tokenType: 'BearerToken',
    });
    for (const time of ['createdAt', 'expiresAt', 'issuedAt', 'lastModifiedAt']) {
      expect(String(profile[time])).toMatch(EPOCH_MS);
    }
    // A tool computing the lifetime the Apigee way (expiresAt - issuedAt) gets the TTL in milliseconds.
    const lifetime = (profile.expiresAt as number) - (profile.issuedAt as number);
    expect(lifetime).toBeGreaterThan(1800_000 - 1000);
    expect(lifetime).toBeLessThanOrEqual(1800_000);
    expect(['approved', 'revoked', 'expired']).toContain(profile.status);
  });

  it('the deleted token is no longer accepted', async () => {
    const app = await registerClient({ name: 'app1' });
    const tokens = await clientCredentials(app);
    expect((await deleteAccessToken(tokens.access_token)).status).toBe(200);
    expect(await introspect(resourceServer, tokens.access_token)).toEqual({ active: false });
  });

  it('an unknown access token: 404 with code keymanagement.service.invalid_account_name', async () => {
    const response = await deleteAccessToken('taFM3LHUTQAFhL0dIFg81XhRc7vC');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({
      code: 'keymanagement.service.invalid_account_name',
      message: 'Invalid Access Token',
      contexts: [],
    });
  });

  it('deleting the same token twice: the second call is the same 404', async () => {
    const app = await registerClient({ name: 'app1' });
    const tokens = await clientCredentials(app);
    expect((await deleteAccessToken(tokens.access_token)).status).toBe(200);

    const again = await deleteAccessToken(tokens.access_token);

    expect(again.status).toBe(404);
    expect(again.json).toMatchObject({ code: 'keymanagement.service.invalid_account_name' });
  });

  it("Apigee's Basic-authenticated call is refused with 403 Forbidden: admin calls must be SigV4-signed", async () => {
    const app = await registerClient({ name: 'app1' });
    const tokens = await clientCredentials(app);

    const response = await call('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`, {
      headers: { authorization: `Basic ${Buffer.from('myname:mypass').toString('base64')}` },
    });

    expect(response.status).toBe(403);
    expect(response.json).toEqual({ message: 'Forbidden' });
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({ active: true });
  });
});
