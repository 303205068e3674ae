/**
 * The trusted issuers' admin API over real sockets (SigV4-signed, as on AWS): strict JSON input, 409 on a
 * second registration, Idempotency-Key replays, the paged list, 404s, and the revocation route's input.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIN, admin, baseUrl } from '#test/support/helpers.ts';
import { jwkSet, registerIssuer, signingKey, uniqueIssuer } from '#test/support/trusted.ts';
import { adminRequest } from '#tools/admin-client.ts';

const jwksUri = 'https://login.example.test/.well-known/jwks.json';

describe('POST /admin/issuers', () => {
  it('refuses an unknown field with a 400 naming it, and writes nothing', async () => {
    const issuer = uniqueIssuer();
    const response = await admin('POST', '/admin/issuers', { issuer, jwksUri, jwks_uri: jwksUri });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ message: 'unknown field "jwks_uri"' });
    // Nothing was written: the same issuer registers afterwards.
    expect((await admin('POST', '/admin/issuers', { issuer, jwksUri })).status).toBe(201);
  });

  it.each([
    [{ jwksUri }, 'issuer'],
    [{ issuer: 'x' }, 'jwksUri'],
    [{ issuer: 'x', jwksUri, jwks: { keys: [] } }, 'jwksUri'],
    [{ issuer: 'x', jwksUri: 'http://login.example.test/jwks' }, 'jwksUri'],
    [{ issuer: 'x', jwksUri: 'ftp://login.example.test/jwks' }, 'jwksUri'],
    [{ issuer: 'x', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'jwks'],
    [{ issuer: 'x', jwks: { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' }] } }, 'jwks'],
    [{ issuer: 'x', jwksUri, algorithms: ['HS256'] }, 'algorithms'],
    [{ issuer: 'x', jwksUri, algorithms: ['none'] }, 'algorithms'],
    [{ issuer: 'x', jwksUri, algorithms: [] }, 'algorithms'],
    [{ issuer: 'x', jwksUri, maxTokenLifetimeSeconds: 0 }, 'maxTokenLifetimeSeconds'],
    [{ issuer: 'x', jwksUri, familyLifetimeSeconds: '30' }, 'familyLifetimeSeconds'],
    [{ issuer: 'x', jwksUri, acceptIdTokens: 'yes' }, 'acceptIdTokens'],
    [{ issuer: 'x', jwksUri, audiences: 'api' }, 'audiences'],
    [{ issuer: 'x', jwksUri, clientIdClaims: [''] }, 'clientIdClaims'],
    [{ issuer: 'x', jwksUri, ssf: { configurationUrl: 'http://ssf.example.test' } }, 'ssf.configurationUrl'],
    [{ issuer: 'x', jwksUri, ssf: { url: 'https://ssf.example.test' } }, 'url'],
  ])('refuses %j with a 400 naming "%s"', async (body, field) => {
    const response = await admin('POST', '/admin/issuers', body);
    expect(response.status).toBe(400);
    expect((response.json as { message: string }).message).toContain(`"${field}"`);
  });

  it('registers an issuer with its keys inline, and a JWK Set URL on loopback (locally only)', async () => {
    const key = await signingKey('EdDSA');
    const inline = await registerIssuer({ issuer: uniqueIssuer(), jwks: jwkSet(key), name: 'inline keys' });
    expect(inline).toMatchObject({ jwks: jwkSet(key), name: 'inline keys' });
    expect(inline).not.toHaveProperty('jwksUri');
    const local = await registerIssuer({ issuer: uniqueIssuer(), jwksUri: 'http://127.0.0.1:1/jwks' });
    expect(local).toMatchObject({ jwksUri: 'http://127.0.0.1:1/jwks' });
  });

  it('keeps the Shared Signals settings an issuer is registered with', async () => {
    const registered = await registerIssuer({
      issuer: uniqueIssuer(),
      jwksUri,
      ssf: { configurationUrl: 'https://ssf.example.test/.well-known/ssf-configuration' },
    });
    expect(registered.ssf).toEqual({
      configurationUrl: 'https://ssf.example.test/.well-known/ssf-configuration',
    });
    expect((await admin('GET', `/admin/issuers/${registered.issuerId}`)).json).toEqual(registered);
  });

  it('answers 409 for the same issuer twice', async () => {
    const issuer = uniqueIssuer();
    await registerIssuer({ issuer, jwksUri });
    const again = await admin('POST', '/admin/issuers', { issuer, jwksUri, name: 'again' });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ message: '"issuer" is registered already' });
  });

  it('with an Idempotency-Key: a retry gets 200 and the same issuer; another body 422; no key 409', async () => {
    const issuer = uniqueIssuer();
    const key = `retry-${randomBytes(8).toString('hex')}`;
    const send = (body: unknown) =>
      adminRequest(baseUrl, 'POST', '/admin/issuers', ADMIN, { body, headers: { 'Idempotency-Key': key } });
    const first = await send({ issuer, jwksUri });
    expect(first.status).toBe(201);
    const retry = await send({ jwksUri, issuer });
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect((await send({ issuer, jwksUri, name: 'other' })).status).toBe(422);
    expect((await admin('POST', '/admin/issuers', { issuer, jwksUri })).status).toBe(409);
  });
});

describe('GET /admin/issuers and /admin/issuers/{issuerId}', () => {
  it('pages through every registered issuer with limit and cursor', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 3; i++)
      mine.add((await registerIssuer({ issuer: uniqueIssuer(), jwksUri })).issuerId);
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await admin('GET', `/admin/issuers?${query}`);
      expect(response.status).toBe(200);
      const page = response.json as { issuers: { issuerId: string }[]; nextCursor?: string };
      expect(Object.keys(page).sort()).toEqual(page.nextCursor ? ['issuers', 'nextCursor'] : ['issuers']);
      expect(page.issuers.length).toBeLessThanOrEqual(2);
      for (const issuer of page.issuers) seen.add(issuer.issuerId);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 1000);
    expect([...mine].filter((id) => !seen.has(id))).toEqual([]);
    expect(pages).toBeGreaterThan(1);
  });

  it('leaves a deleted issuer out of the list', async () => {
    const { issuerId } = await registerIssuer({ issuer: uniqueIssuer(), jwksUri });
    expect((await admin('DELETE', `/admin/issuers/${issuerId}`)).status).toBe(200);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (
        await admin('GET', `/admin/issuers?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      ).json as { issuers: { issuerId: string }[]; nextCursor?: string };
      ids.push(...page.issuers.map((issuer) => issuer.issuerId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).not.toContain(issuerId);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
    ['page=2', 'page'],
  ])('refuses ?%s with a 400 naming "%s"', async (query, field) => {
    const response = await admin('GET', `/admin/issuers?${query}`);
    expect(response.status).toBe(400);
    expect((response.json as { message: string }).message).toContain(`"${field}"`);
  });

  it('answers 404 for an unknown issuer id, and for one that is not an issuer id at all', async () => {
    expect((await admin('GET', '/admin/issuers/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await admin('GET', '/admin/issuers/nope')).json).toEqual({ message: 'issuer not found' });
    expect((await admin('DELETE', '/admin/issuers/AAAAAAAAAAAAAAAAAAAAAA/tokens')).status).toBe(404);
    expect((await admin('DELETE', '/admin/issuers/AAAAAAAAAAAAAAAAAAAAAA/subjects/x/tokens')).status).toBe(
      404,
    );
    expect((await admin('DELETE', '/admin/issuers/AAAAAAAAAAAAAAAAAAAAAA/clients/x/tokens')).status).toBe(
      404,
    );
    expect(
      (await admin('POST', '/admin/issuers/AAAAAAAAAAAAAAAAAAAAAA/revocations', { family: 'f' })).status,
    ).toBe(404);
  });
});

describe('POST /admin/issuers/{issuerId}/revocations input', () => {
  it.each([
    [{}, undefined],
    [{ jti: 'a', family: 'b' }, undefined],
    [{ jti: 'a' }, 'expiresAt'],
    [{ jti: 'a', expiresAt: 'soon' }, 'expiresAt'],
    [{ family: 'b', expiresAt: 1 }, 'expiresAt'],
    [{ family: 'b', reason: 'x' }, 'reason'],
    [{ token: 'not.a.token' }, 'token'],
  ])('refuses %j with a 400', async (body, field) => {
    const key = await signingKey('ES256');
    const { issuerId } = await registerIssuer({ issuer: uniqueIssuer(), jwks: jwkSet(key) });
    const response = await admin('POST', `/admin/issuers/${issuerId}/revocations`, body);
    expect(response.status).toBe(400);
    if (field !== undefined) expect((response.json as { message: string }).message).toContain(`"${field}"`);
  });
});
