/**
 * Attacks on trusted tokens, over real sockets against the suite's local server: every forged, altered,
 * misdirected or expired token is not a trusted token (introspection `{"active":false}`, the authorizer
 * refuses it, revoking it writes nothing), and an issuer whose keys cannot be had makes the OAuth routes
 * answer 503 with Retry-After, never a false answer.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportSPKI, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  introspect,
  logLines,
  postForm,
  type RegisteredClient,
  registerClient,
  waitForLog,
} from '#test/support/helpers.ts';
import {
  auth0AccessToken,
  cognitoAccessToken,
  type JwksServer,
  jwkSet,
  mint,
  record,
  registerIssuer,
  type SigningKey,
  signingKey,
  startJwksServer,
  uniqueIssuer,
} from '#test/support/trusted.ts';

let resourceServer: RegisteredClient;
let jwks: JwksServer;

beforeAll(async () => {
  [resourceServer, jwks] = await Promise.all([
    registerClient({ name: 'attacks resource server' }),
    startJwksServer(),
  ]);
});

afterAll(() => jwks?.close());

const whoami = (token: string) =>
  call('GET', '/demo/whoami', { headers: { authorization: `Bearer ${token}` } });
const revokeByHolder = (token: string) => postForm('/oauth2/revoke', { token });
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Every way the service can be asked about a token says it is not active. */
async function expectNotTrusted(token: string) {
  expect(await introspect(resourceServer, token)).toEqual({ active: false });
  expect((await whoami(token)).status).toBe(401);
}

describe('forged and altered tokens', () => {
  let key: SigningKey;
  let iss: string;
  let url: string;

  beforeAll(async () => {
    key = await signingKey('RS256');
    iss = uniqueIssuer();
    url = jwks.url('attacks');
    jwks.set(url, { keys: jwkSet(key) });
    await registerIssuer({
      issuer: iss,
      jwksUri: url,
      audiences: ['https://api.example.test'],
      maxTokenLifetimeSeconds: 3600,
    });
  });

  const valid = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    mint(key, { iss, aud: 'https://api.example.test', sub: 'alice', jti: randomUUID(), ...claims }, header);

  it('accepts the genuine article (so each refusal below is the attack, not the setup)', async () => {
    expect(await introspect(resourceServer, await valid())).toMatchObject({ active: true, iss });
  });

  it('alg none: not trusted, and revoking it writes nothing (the genuine token with its jti stays active)', async () => {
    const jti = randomUUID();
    const genuine = await valid({ jti });
    const payload = { iss, aud: 'https://api.example.test', sub: 'alice', jti, iat: now(), exp: now() + 600 };
    const none = record(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`);
    await expectNotTrusted(none);
    expect((await revokeByHolder(none)).status).toBe(200);
    expect(await introspect(resourceServer, genuine)).toMatchObject({ active: true, jti });
  });

  it.each(['PEM', 'JWK'] as const)('HS256 keyed with the public key as %s: not trusted', async (form) => {
    const publicKey =
      form === 'PEM'
        ? await exportSPKI((await importJWK(key.jwk, 'RS256')) as CryptoKey)
        : JSON.stringify(key.jwk);
    const secret = new TextEncoder().encode(publicKey);
    const forged = record(
      await new SignJWT({
        iss,
        aud: 'https://api.example.test',
        sub: 'mallory',
        iat: now(),
        exp: now() + 600,
      })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .sign(secret),
    );
    await expectNotTrusted(forged);
  });

  it('an unknown kid: not trusted (signed by a key the issuer does not have)', async () => {
    const stranger = await signingKey('RS256');
    const forged = await mint(stranger, { iss, aud: 'https://api.example.test', sub: 'mallory' });
    await expectNotTrusted(forged);
  });

  it.each(['jku', 'x5u', 'jwk'] as const)(
    "a %s header pointing at the attacker's key is ignored",
    async (member) => {
      const attacker = await signingKey('RS256', key.kid);
      const attackerSet = jwks.url('attacker');
      jwks.set(attackerSet, { keys: jwkSet(attacker) });
      const header =
        member === 'jwk'
          ? { jwk: attacker.jwk }
          : member === 'jku'
            ? { jku: attackerSet }
            : { x5u: attackerSet };
      const forged = await mint(attacker, { iss, aud: 'https://api.example.test', sub: 'mallory' }, header);
      await expectNotTrusted(forged);
      expect(jwks.fetches(attackerSet)).toBe(0);
    },
  );

  it('an unregistered iss, and a registered one with a trailing slash: not trusted', async () => {
    await expectNotTrusted(
      await mint(key, { iss: uniqueIssuer(), aud: 'https://api.example.test', sub: 'a' }),
    );
    await expectNotTrusted(await valid({ iss: `${iss}/` }));
  });

  it('expired: not trusted', async () => {
    await expectNotTrusted(await valid({ iat: now() - 120, exp: now() - 1 }));
  });

  it('nbf or iat more than 60 s in the future: not trusted; within 60 s: trusted', async () => {
    await expectNotTrusted(await valid({ nbf: now() + 120 }));
    await expectNotTrusted(await valid({ iat: now() + 120, exp: now() + 1800 }));
    expect(await introspect(resourceServer, await valid({ nbf: now() + 30, iat: now() + 30 }))).toMatchObject(
      { active: true },
    );
  });

  it('no iat: not trusted', async () => {
    await expectNotTrusted(await valid({ iat: undefined }));
  });

  it("a lifetime over the issuer's maxTokenLifetimeSeconds: not trusted", async () => {
    await expectNotTrusted(await valid({ iat: now(), exp: now() + 3601 }));
    expect(await introspect(resourceServer, await valid({ iat: now(), exp: now() + 3600 }))).toMatchObject({
      active: true,
    });
  });

  it('another audience: not trusted', async () => {
    await expectNotTrusted(await valid({ aud: 'https://another-api.example.test' }));
    await expectNotTrusted(await valid({ aud: undefined }));
  });

  it('an ID token (token_use id, typ ID, or a typ header other than at+jwt/JWT): not trusted', async () => {
    await expectNotTrusted(await valid({ token_use: 'id' }));
    await expectNotTrusted(await valid({ typ: 'ID' }));
    await expectNotTrusted(await valid({}, { typ: 'secevent+jwt' }));
    expect(await introspect(resourceServer, await valid({}, { typ: 'at+jwt' }))).toMatchObject({
      active: true,
    });
    expect(await introspect(resourceServer, await valid({}, { typ: 'application/at+JWT' }))).toMatchObject({
      active: true,
    });
  });

  it('an ID token is trusted when the issuer accepts them', async () => {
    const idIssuer = uniqueIssuer();
    await registerIssuer({ issuer: idIssuer, jwks: jwkSet(key), acceptIdTokens: true });
    const idToken = await mint(key, { iss: idIssuer, sub: 'alice', token_use: 'id', aud: 'client' });
    expect(await introspect(resourceServer, idToken)).toMatchObject({ active: true });
  });

  it('an altered payload: not trusted', async () => {
    const [header, , signature] = (await valid()).split('.');
    const altered = record(
      `${header}.${b64({ iss, aud: 'https://api.example.test', sub: 'root', iat: now(), exp: now() + 600 })}.${signature}`,
    );
    await expectNotTrusted(altered);
  });
});

describe('an ECDSA signature re-encoded after its jti-less token was revoked', () => {
  /** n of P-256: (r, s) and (r, n - s) are both valid signatures of the same input. */
  const P256_ORDER = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');
  const reencode = (token: string) => {
    const [header, payload, signature = ''] = token.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
    const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
    return record(
      `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString('base64url')}`,
    );
  };

  it('stays revoked: the token id is the hash of the signing input, never of the signature', async () => {
    const key = await signingKey('ES256');
    const iss = uniqueIssuer('tenant.auth0.example.test');
    await registerIssuer({ issuer: iss, jwks: jwkSet(key) });

    // The other encoding verifies too: without the revocation, it would be accepted.
    const untouched = await auth0AccessToken(key, iss);
    expect(reencode(untouched)).not.toBe(untouched);
    expect(await introspect(resourceServer, reencode(untouched))).toMatchObject({ active: true });

    const token = await auth0AccessToken(key, iss);
    expect((await revokeByHolder(token)).status).toBe(200);
    await expectNotTrusted(token);
    await expectNotTrusted(reencode(token));
  });
});

describe('key rotation', () => {
  it('a token under a new kid is accepted after one refetch; an unknown kid again within 30 s fetches nothing', async () => {
    const first = await signingKey('ES256');
    const second = await signingKey('ES256');
    const iss = uniqueIssuer();
    const url = jwks.url('rotation');
    jwks.set(url, { keys: jwkSet(first) });
    await registerIssuer({ issuer: iss, jwksUri: url });

    expect(await introspect(resourceServer, await cognitoAccessToken(first, iss))).toMatchObject({
      active: true,
    });
    expect(await introspect(resourceServer, await cognitoAccessToken(first, iss))).toMatchObject({
      active: true,
    });
    expect(jwks.fetches(url)).toBe(1);

    jwks.set(url, { keys: jwkSet(first, second) });
    expect(await introspect(resourceServer, await cognitoAccessToken(second, iss))).toMatchObject({
      active: true,
    });
    expect(jwks.fetches(url)).toBe(2);

    const unknown = await signingKey('ES256');
    await expectNotTrusted(await cognitoAccessToken(unknown, iss));
    expect(jwks.fetches(url)).toBe(2);
    // Still cached: the tokens of both keys are checked without a fetch.
    expect(await introspect(resourceServer, await cognitoAccessToken(first, iss))).toMatchObject({
      active: true,
    });
    expect(jwks.fetches(url)).toBe(2);
  });
});

describe('keys that cannot be had: 503 with Retry-After on the OAuth routes, a denial at the authorizer', () => {
  async function issuerServedAs(behaviour: Parameters<JwksServer['set']>[1], name: string) {
    const key = await signingKey('RS256');
    const iss = uniqueIssuer();
    const url = jwks.url(name);
    jwks.set(url, { keys: jwkSet(key), ...behaviour });
    await registerIssuer({ issuer: iss, jwksUri: url });
    return { token: await cognitoAccessToken(key, iss), url, key, iss };
  }

  async function expectUnavailable(token: string) {
    const introspected = await postForm(
      '/oauth2/introspect',
      { token },
      { auth: [resourceServer.clientId, resourceServer.clientSecret] },
    );
    expect(introspected.status).toBe(503);
    expect(introspected.json).toMatchObject({ error: 'temporarily_unavailable' });
    expect(Number(introspected.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const revoked = await revokeByHolder(token);
    expect(revoked.status).toBe(503);
    expect(revoked.headers.get('retry-after')).not.toBeNull();
    const invalidated = await call('DELETE', '/oauth/token', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(invalidated.status).toBe(503);
    expect((await whoami(token)).status).toBe(401);
  }

  it('JWKS down (500)', async () => {
    const { token } = await issuerServedAs({ status: 500 }, 'down');
    await expectUnavailable(token);
    // Both lines, whichever the server's output reaches the log file with last.
    const fetchFailed = (line: { raw: string }) =>
      line.raw.includes('trusted issuer keys unavailable') && line.raw.includes('status 500');
    const denied = (line: { raw: string }) =>
      line.raw.includes('authorizer denied: trusted issuer keys unavailable');
    const lines = await waitForLog((all) => all.some(fetchFailed) && all.some(denied));
    expect(lines.some(fetchFailed)).toBe(true);
    expect(lines.some(denied)).toBe(true);
  });

  it('JWKS slower than the 2 s deadline', async () => {
    const { token } = await issuerServedAs({ delayMs: 4000 }, 'slow');
    const started = Date.now();
    const response = await postForm(
      '/oauth2/introspect',
      { token },
      { auth: [resourceServer.clientId, resourceServer.clientSecret] },
    );
    expect(response.status).toBe(503);
    // The fetch's deadline is 2 s; a loaded machine may add to it, never the issuer's 4 s.
    expect(Date.now() - started).toBeLessThan(3900);
  });

  it('JWKS larger than 64 KiB', async () => {
    const { token } = await issuerServedAs({ padTo: 70 * 1024 }, 'huge');
    await expectUnavailable(token);
    await waitForLog((all) => all.some((line) => line.raw.includes('response over 65536 bytes')));
  });

  it('JWKS redirecting elsewhere: the redirect is not followed', async () => {
    const elsewhere = jwks.url('elsewhere');
    const { token, key } = await issuerServedAs({ redirectTo: elsewhere }, 'redirect');
    jwks.set(elsewhere, { keys: jwkSet(key) });
    await expectUnavailable(token);
    expect(jwks.fetches(elsewhere)).toBe(0);
  });

  it('comes back once the issuer answers again (after the Retry-After)', async () => {
    const { token, url, key } = await issuerServedAs({ status: 503 }, 'flaky');
    const first = await postForm(
      '/oauth2/introspect',
      { token },
      { auth: [resourceServer.clientId, resourceServer.clientSecret] },
    );
    expect(first.status).toBe(503);
    jwks.set(url, { keys: jwkSet(key) });
    const retryAfter = Number(first.headers.get('retry-after'));
    expect(retryAfter).toBeLessThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect(await introspect(resourceServer, token)).toMatchObject({ active: true });
    expect(logLines().length).toBeGreaterThan(0);
  });
});
