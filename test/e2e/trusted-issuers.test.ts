/**
 * Trusted issuers end to end, over real sockets against the suite's local server: a real issuer
 * (node-oidc-provider issuing RFC 9068 JWT access tokens) and tokens shaped like Cognito's, Keycloak's and
 * Auth0's signed with generated RS256, ES256 and EdDSA keys, through registration, introspection, RFC 7009
 * revocation, invalidation, the admin revocations and cut-offs, the authorizer behind `/demo/whoami`, and
 * the events each revocation publishes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { detailOf, waitForEvents } from '#test/support/events.ts';
import {
  admin,
  call,
  grantTokens,
  introspect,
  LOCAL_ADMIN_PRINCIPAL,
  postForm,
  type RegisteredClient,
  registerClient,
} from '#test/support/helpers.ts';
import { type RunningIssuer, startOidcProvider } from '#test/support/oidc-provider.ts';
import {
  auth0AccessToken,
  cognitoAccessToken,
  type JwksServer,
  jwkSet,
  keycloakAccessToken,
  registerIssuer,
  type SigningKey,
  signingKey,
  startJwksServer,
  uniqueIssuer,
} from '#test/support/trusted.ts';

const eventsFile = inject('eventsFile');

let resourceServer: RegisteredClient;
let jwks: JwksServer;
let oidc: RunningIssuer;

beforeAll(async () => {
  [resourceServer, jwks, oidc] = await Promise.all([
    registerClient({ name: 'trusted issuers resource server' }),
    startJwksServer(),
    startOidcProvider(),
  ]);
});

afterAll(async () => {
  await Promise.all([jwks?.close(), oidc?.close()]);
});

const whoami = (token: string) =>
  call('GET', '/demo/whoami', { headers: { authorization: `Bearer ${token}` } });
/** RFC 7009 revoke with no client credentials: a trusted token's holder may revoke it. */
const revokeByHolder = (token: string) => postForm('/oauth2/revoke', { token });
const invalidate = (token: string) =>
  call('DELETE', '/oauth/token', { headers: { authorization: `Bearer ${token}` } });

/** Waits for the event of one type whose detail matches. */
async function eventOf(type: string, match: (detail: Record<string, unknown>) => boolean) {
  const [event] = await waitForEvents(
    eventsFile,
    (e) => e.envelope['detail-type'] === type && match(detailOf(e)),
  );
  return event ? detailOf(event) : undefined;
}

describe('node-oidc-provider, a real issuer of JWT access tokens', () => {
  let registration: Record<string, unknown> & { issuerId: string };

  beforeAll(async () => {
    registration = await registerIssuer({
      issuer: oidc.issuer,
      jwksUri: oidc.jwksUri,
      audiences: [oidc.audience],
    });
  });

  it('registers with every default filled in', () => {
    expect(registration).toEqual({
      issuerId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      issuer: oidc.issuer,
      jwksUri: oidc.jwksUri,
      audiences: [oidc.audience],
      clientIdClaims: ['client_id', 'azp', 'cid'],
      subjectClaim: 'sub',
      familyLifetimeSeconds: 2592000,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      maxTokenLifetimeSeconds: 86400,
      acceptIdTokens: false,
      createdAt: expect.any(Number),
    });
  });

  it('introspects its access token as active, described by its own claims', async () => {
    const token = await oidc.accessToken('read');
    const body = await introspect(resourceServer, token);
    expect(body).toEqual({
      active: true,
      iss: oidc.issuer,
      exp: expect.any(Number),
      iat: expect.any(Number),
      token_type: 'Bearer',
      client_id: oidc.clientId,
      sub: oidc.clientId,
      scope: 'read',
      jti: expect.any(String),
      aud: oidc.audience,
    });
  });

  it('lets its token through the authorizer (passing iss), until its holder revokes it', async () => {
    const token = await oidc.accessToken('read write');
    const before = await whoami(token);
    expect(before.status).toBe(200);
    expect(before.json).toEqual({
      clientId: oidc.clientId,
      scope: 'read write',
      sub: oidc.clientId,
      iss: oidc.issuer,
    });

    const revoked = await revokeByHolder(token);
    expect(revoked.status).toBe(200);
    expect(revoked.text).toBe('');

    const after = await whoami(token);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toBe('Bearer realm="oauth", error="invalid_token"');
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
    // Revoked again: still 200, nothing more written.
    expect((await revokeByHolder(token)).status).toBe(200);
  });

  it('publishes token.revoked with the issuer and the token id (its jti), never the token', async () => {
    const token = await oidc.accessToken('read');
    const { jti } = (await introspect(resourceServer, token)) as { jti: string };
    expect((await revokeByHolder(token)).status).toBe(200);
    const detail = await eventOf('token.revoked', (d) => d.jti === jti);
    expect(detail).toMatchObject({
      issuer: oidc.issuer,
      jti,
      clientId: oidc.clientId,
      actor: { type: 'bearer', id: oidc.clientId },
      route: 'POST /oauth2/revoke',
    });
    expect(JSON.stringify(detail)).not.toContain(token);
  });
});

describe('Cognito-shaped tokens (RS256, origin_jti as the family)', () => {
  let key: SigningKey;
  let iss: string;
  let issuerId: string;

  beforeAll(async () => {
    key = await signingKey('RS256');
    iss = uniqueIssuer('cognito-idp.us-east-1.amazonaws.com');
    const url = jwks.url('cognito');
    jwks.set(url, { keys: jwkSet(key) });
    ({ issuerId } = await registerIssuer({
      issuer: iss,
      jwksUri: url,
      familyClaim: 'origin_jti',
      clientIdClaims: ['client_id'],
    }));
  });

  it('revoking one access token revokes every token of its sign-in session (family), and no other', async () => {
    const family = randomUUID();
    const first = await cognitoAccessToken(key, iss, { origin_jti: family, username: 'bob' });
    const refreshed = await cognitoAccessToken(key, iss, { origin_jti: family, username: 'bob' });
    const otherSession = await cognitoAccessToken(key, iss);
    for (const token of [first, refreshed, otherSession]) {
      expect(await introspect(resourceServer, token)).toMatchObject({
        active: true,
        client_id: 'cognito-app-client',
      });
    }
    expect((await revokeByHolder(first)).status).toBe(200);
    expect(await introspect(resourceServer, first)).toEqual({ active: false });
    expect(await introspect(resourceServer, refreshed)).toEqual({ active: false });
    expect((await whoami(refreshed)).status).toBe(401);
    expect(await introspect(resourceServer, otherSession)).toMatchObject({ active: true });

    const detail = await eventOf('family.revoked', (d) => d.family === family);
    expect(detail).toMatchObject({
      issuer: iss,
      family,
      clientId: 'cognito-app-client',
      actor: { type: 'bearer' },
    });
  });

  it('introspects the scope, client, subject and iss of an active token, and no jti-less fields', async () => {
    const sub = randomUUID();
    const token = await cognitoAccessToken(key, iss, { sub, scope: 'openid email' });
    expect(await introspect(resourceServer, token)).toEqual({
      active: true,
      iss,
      exp: expect.any(Number),
      iat: expect.any(Number),
      token_type: 'Bearer',
      client_id: 'cognito-app-client',
      sub,
      scope: 'openid email',
      jti: expect.any(String),
    });
  });

  it('revokes with a client of the service as the caller, whose credentials must be valid', async () => {
    const token = await cognitoAccessToken(key, iss);
    const wrong = await postForm(
      '/oauth2/revoke',
      { token },
      { auth: [resourceServer.clientId, 'not-the-secret'] },
    );
    expect(wrong.status).toBe(401);
    expect(await introspect(resourceServer, token)).toMatchObject({ active: true });
    const right = await postForm(
      '/oauth2/revoke',
      { token },
      { auth: [resourceServer.clientId, resourceServer.clientSecret] },
    );
    expect(right.status).toBe(200);
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
  });

  it('cuts off one client of the issuer: its tokens issued so far, not later ones nor other clients', async () => {
    const clientId = `app-${randomUUID()}`;
    const old = await cognitoAccessToken(key, iss, {
      client_id: clientId,
      iat: Math.floor(Date.now() / 1000) - 5,
    });
    const otherClient = await cognitoAccessToken(key, iss, { iat: Math.floor(Date.now() / 1000) - 5 });
    const response = await admin(
      'DELETE',
      `/admin/issuers/${issuerId}/clients/${encodeURIComponent(clientId)}/tokens`,
    );
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ issuerId, clientId, tokensRevokedBefore: expect.any(Number) });
    expect(await introspect(resourceServer, old)).toEqual({ active: false });
    expect(await introspect(resourceServer, otherClient)).toMatchObject({ active: true });
    // A token issued in a later second than the cut-off is not covered.
    const cutoff = (response.json as { tokensRevokedBefore: number }).tokensRevokedBefore;
    const later = await cognitoAccessToken(key, iss, {
      client_id: clientId,
      iat: Math.floor(cutoff / 1000) + 1,
    });
    expect(await introspect(resourceServer, later)).toMatchObject({ active: true });
    const detail = await eventOf('client.tokens_revoked', (d) => d.clientId === clientId);
    expect(detail).toMatchObject({
      issuer: iss,
      tokensRevokedBefore: cutoff,
      actor: { type: 'iam', id: LOCAL_ADMIN_PRINCIPAL },
    });
  });
});

describe('Keycloak-shaped tokens (ES256, sid as the family)', () => {
  let key: SigningKey;
  let iss: string;
  let issuerId: string;

  beforeAll(async () => {
    key = await signingKey('ES256');
    iss = uniqueIssuer('keycloak.example.test');
    ({ issuerId } = await registerIssuer({
      issuer: iss,
      jwks: jwkSet(key),
      familyClaim: 'sid',
      algorithms: ['ES256'],
    }));
  });

  it('names the client by azp, and an operator revokes a session by its family', async () => {
    const sid = randomUUID();
    const token = await keycloakAccessToken(key, iss, { sid });
    expect(await introspect(resourceServer, token)).toMatchObject({
      active: true,
      client_id: 'keycloak-client',
      aud: 'account',
    });
    const response = await admin('POST', `/admin/issuers/${issuerId}/revocations`, { family: sid });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ issuerId, family: sid });
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
  });

  it('an operator with only a log line revokes one token by its jti and exp', async () => {
    const jti = randomUUID();
    const token = await keycloakAccessToken(key, iss, { jti });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const response = await admin('POST', `/admin/issuers/${issuerId}/revocations`, { jti, expiresAt: exp });
    expect(response.json).toEqual({ issuerId, jti });
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
  });

  it('an operator revokes a token given whole: its family, as RFC 7009 revoke would', async () => {
    const sid = randomUUID();
    const token = await keycloakAccessToken(key, iss, { sid });
    const sibling = await keycloakAccessToken(key, iss, { sid });
    const response = await admin('POST', `/admin/issuers/${issuerId}/revocations`, { token });
    expect(response.json).toEqual({ issuerId, family: sid });
    expect(await introspect(resourceServer, sibling)).toEqual({ active: false });
  });

  it('cuts off one subject of the issuer, through its route and through global token revocation', async () => {
    const subject = randomUUID();
    const token = await keycloakAccessToken(key, iss, {
      sub: subject,
      iat: Math.floor(Date.now() / 1000) - 2,
    });
    const response = await admin('DELETE', `/admin/issuers/${issuerId}/subjects/${subject}/tokens`);
    expect(response.json).toEqual({ issuerId, subject, tokensRevokedBefore: expect.any(Number) });
    expect(await introspect(resourceServer, token)).toEqual({ active: false });

    const other = randomUUID();
    const otherToken = await keycloakAccessToken(key, iss, {
      sub: other,
      iat: Math.floor(Date.now() / 1000) - 2,
    });
    const global = await admin('POST', '/admin/global-token-revocation', {
      sub_id: { format: 'iss_sub', iss, sub: other },
    });
    expect(global.status).toBe(204);
    expect(await introspect(resourceServer, otherToken)).toEqual({ active: false });
    const detail = await eventOf('subject.tokens_revoked', (d) => d.subject === other);
    expect(detail).toMatchObject({ issuer: iss, route: 'POST /admin/global-token-revocation' });
  });

  it("a registered issuer's iss_sub leaves the service's own tokens of that subject alone", async () => {
    const subject = `shared-${randomUUID()}`;
    const own = await grantTokens(await registerClient(), { subject });
    const theirs = await keycloakAccessToken(key, iss, {
      sub: subject,
      iat: Math.floor(Date.now() / 1000) - 2,
    });
    const global = await admin('POST', '/admin/global-token-revocation', {
      sub_id: { format: 'iss_sub', iss, sub: subject },
    });
    expect(global.status).toBe(204);
    expect(await introspect(resourceServer, theirs)).toEqual({ active: false });
    expect(await introspect(resourceServer, own.access_token)).toMatchObject({ active: true, sub: subject });
  });

  it('refuses iss_sub with an issuer that is neither the service nor registered: 400', async () => {
    const response = await admin('POST', '/admin/global-token-revocation', {
      sub_id: { format: 'iss_sub', iss: uniqueIssuer(), sub: 'x' },
    });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ error: 'invalid_request' });
  });
});

describe('Auth0-shaped tokens (EdDSA, no jti, aud an array)', () => {
  let key: SigningKey;
  let iss: string;

  beforeAll(async () => {
    key = await signingKey('EdDSA');
    iss = `${uniqueIssuer('tenant.auth0.example.test')}/`;
    const url = jwks.url('auth0');
    jwks.set(url, { keys: jwkSet(key) });
    await registerIssuer({ issuer: iss, jwksUri: url, audiences: ['https://api.example.test'] });
  });

  it('introspects without a jti, with its aud array, and its client from azp', async () => {
    const token = await auth0AccessToken(key, iss);
    expect(await introspect(resourceServer, token)).toEqual({
      active: true,
      iss,
      exp: expect.any(Number),
      iat: expect.any(Number),
      token_type: 'Bearer',
      client_id: 'auth0-client-id',
      sub: expect.stringMatching(/^auth0\|/),
      scope: 'openid read:things',
      aud: ['https://api.example.test', `${iss}userinfo`],
    });
  });

  it('revokes one jti-less token by the hash of its signing input, and only it', async () => {
    const token = await auth0AccessToken(key, iss);
    const other = await auth0AccessToken(key, iss);
    expect((await revokeByHolder(token)).status).toBe(200);
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
    expect(await introspect(resourceServer, other)).toMatchObject({ active: true });
  });

  it('invalidates its own token (DELETE /oauth/token): 200 the first time, 403 afterwards', async () => {
    const token = await auth0AccessToken(key, iss);
    const first = await invalidate(token);
    expect(first.status).toBe(200);
    const second = await invalidate(token);
    expect(second.status).toBe(403);
    expect(second.json).toEqual({
      error: 'invalid_token',
      error_description: 'Access Token already invalidated or not found',
    });
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
  });
});

describe('an issuer cut off, deleted and registered again', () => {
  it('a leaked signing key: every token of the issuer up to now is inactive, later ones are not', async () => {
    const key = await signingKey('ES256');
    const iss = uniqueIssuer();
    const { issuerId } = await registerIssuer({ issuer: iss, jwks: jwkSet(key) });
    const old = await cognitoAccessToken(key, iss, { iat: Math.floor(Date.now() / 1000) - 2 });
    const response = await admin('DELETE', `/admin/issuers/${issuerId}/tokens`);
    expect(response.status).toBe(200);
    const { tokensRevokedBefore } = response.json as { tokensRevokedBefore: number };
    expect(response.json).toEqual({ issuerId, tokensRevokedBefore: expect.any(Number) });
    expect(await introspect(resourceServer, old)).toEqual({ active: false });
    const later = await cognitoAccessToken(key, iss, { iat: Math.floor(tokensRevokedBefore / 1000) + 1 });
    expect(await introspect(resourceServer, later)).toMatchObject({ active: true });
    expect(await eventOf('issuer.tokens_revoked', (d) => d.issuer === iss)).toMatchObject({
      tokensRevokedBefore,
    });
  });

  it('deleted: none of its tokens is accepted once DELETE returns; registered again, old tokens stay revoked', async () => {
    const key = await signingKey('RS256');
    const iss = uniqueIssuer();
    const { issuerId } = await registerIssuer({ issuer: iss, jwks: jwkSet(key) });
    const token = await cognitoAccessToken(key, iss, { iat: Math.floor(Date.now() / 1000) - 2 });
    expect((await whoami(token)).status).toBe(200);

    const deleted = await admin('DELETE', `/admin/issuers/${issuerId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ issuerId });
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
    expect((await whoami(token)).status).toBe(401);
    expect((await admin('GET', `/admin/issuers/${issuerId}`)).status).toBe(404);
    expect((await admin('DELETE', `/admin/issuers/${issuerId}`)).status).toBe(404);
    expect(await eventOf('issuer.deleted', (d) => d.issuer === iss)).toMatchObject({
      actor: { type: 'iam' },
    });

    const again = await registerIssuer({ issuer: iss, jwks: jwkSet(key) });
    expect(again.issuerId).toBe(issuerId);
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
    const fresh = await cognitoAccessToken(key, iss, { iat: Math.floor(Date.now() / 1000) + 1 });
    expect(await introspect(resourceServer, fresh)).toMatchObject({ active: true });
  });
});
