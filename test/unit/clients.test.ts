import { describe, expect, it } from 'vitest';
import { newClient } from '#commons/domain/clients.ts';
import { InvalidInput, InvalidRequest } from '#commons/domain/errors.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import {
  clientView,
  MAX_SCOPE_LENGTH,
  MAX_SCOPES,
  parseJsonObject,
  readMintRequest,
  readRegistration,
} from '#commons/http/admin-json.ts';

const register = (input: Record<string, unknown>) => newClient(readRegistration(input), 0);
const rejects = (input: Record<string, unknown>, field: string) => {
  expect(() => register(input)).toThrow(InvalidInput);
  expect(() => register(input)).toThrow(new RegExp(`"${field}"`));
};

describe('client registration', () => {
  it('gives a confidential client a 256-bit secret and stores only its hash', () => {
    const { client, secret } = newClient({ name: 'app' }, 5);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client.secretHash).toBe(hashSecret(secret ?? ''));
    expect(JSON.stringify(client)).not.toContain(secret);
    expect(client).toMatchObject({
      public: false,
      grantTypes: ['client_credentials'],
      scopes: [],
      createdAt: 5,
    });
    expect(client.accessTokenTtl).toBe(3600);
    expect(client.refreshTokenTtl).toBe(30 * 24 * 3600);
  });

  it('gives a public client no secret and the refresh grant by default', () => {
    const { client, secret } = newClient({ name: 'spa', public: true }, 0);
    expect(secret).toBeUndefined();
    expect(client.secretHash).toBeUndefined();
    expect(client.grantTypes).toEqual(['refresh_token']);
  });

  it('names the offending field', () => {
    rejects({}, 'name');
    rejects({ name: '' }, 'name');
    rejects({ name: 'a', public: 'yes' }, 'public');
    rejects({ name: 'a', grantTypes: ['password'] }, 'grantTypes');
    rejects({ name: 'a', grantTypes: [] }, 'grantTypes');
    rejects({ name: 'a', public: true, grantTypes: ['client_credentials'] }, 'grantTypes');
    rejects({ name: 'a', scopes: ['has space'] }, 'scopes');
    rejects({ name: 'a', scopes: 'read' }, 'scopes');
    rejects({ name: 'a', accessTokenTtl: 0 }, 'accessTokenTtl');
    rejects({ name: 'a', refreshTokenTtl: 1.5 }, 'refreshTokenTtl');
  });

  it(`holds at most ${MAX_SCOPES} scopes of at most ${MAX_SCOPE_LENGTH} characters`, () => {
    const many = Array.from({ length: MAX_SCOPES }, (_, i) => `s${i}`);
    expect(register({ name: 'a', scopes: many }).client.scopes).toHaveLength(MAX_SCOPES);
    rejects({ name: 'a', scopes: [...many, 'one-more'] }, 'scopes');
    expect(register({ name: 'a', scopes: ['x'.repeat(MAX_SCOPE_LENGTH)] }).client.scopes).toHaveLength(1);
    rejects({ name: 'a', scopes: ['x'.repeat(MAX_SCOPE_LENGTH + 1)] }, 'scopes');
  });

  it('rotates refresh tokens of public clients always, of confidential ones when asked (RFC 9700 4.14.2)', () => {
    expect(register({ name: 'spa', public: true }).client.refreshTokenRotation).toBe(true);
    expect(register({ name: 'app' }).client.refreshTokenRotation).toBe(false);
    expect(register({ name: 'app', refreshTokenRotation: true }).client.refreshTokenRotation).toBe(true);
    rejects({ name: 'spa', public: true, refreshTokenRotation: false }, 'refreshTokenRotation');
    rejects({ name: 'a', refreshTokenRotation: 'yes' }, 'refreshTokenRotation');
  });

  it('takes a reuse grace of 0 to 60 seconds, 10 by default', () => {
    expect(register({ name: 'a' }).client.refreshTokenReuseGraceSeconds).toBe(10);
    expect(
      register({ name: 'a', refreshTokenReuseGraceSeconds: 0 }).client.refreshTokenReuseGraceSeconds,
    ).toBe(0);
    expect(
      register({ name: 'a', refreshTokenReuseGraceSeconds: 60 }).client.refreshTokenReuseGraceSeconds,
    ).toBe(60);
    rejects({ name: 'a', refreshTokenReuseGraceSeconds: 61 }, 'refreshTokenReuseGraceSeconds');
    rejects({ name: 'a', refreshTokenReuseGraceSeconds: -1 }, 'refreshTokenReuseGraceSeconds');
  });

  it('caps access token lifetimes at one day', () => {
    expect(register({ name: 'a', accessTokenTtl: 86400 }).client.accessTokenTtl).toBe(86400);
    rejects({ name: 'a', accessTokenTtl: 86401 }, 'accessTokenTtl');
  });

  it('never shows the secret or its hash in the client view', () => {
    const { client } = newClient({ name: 'app' }, 0);
    expect(Object.keys(clientView(client))).not.toContain('secretHash');
  });

  it('requires a JSON object body', () => {
    expect(() => parseJsonObject('not json')).toThrow(InvalidRequest);
    expect(() => parseJsonObject('not json')).toThrow(/valid JSON/);
    expect(() => parseJsonObject('[1]')).toThrow(/JSON object/);
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
  });
});

describe('token mint request', () => {
  it('reads an empty scope as no scope asked for, like an empty OAuth parameter', () => {
    expect(readMintRequest({ clientId: 'c', scope: '' }).scope).toBeUndefined();
    expect(readMintRequest({ clientId: 'c', scope: 'read' }).scope).toBe('read');
  });

  it('names the offending field', () => {
    expect(() => readMintRequest({})).toThrow(/"clientId"/);
    expect(() => readMintRequest({ clientId: 'c', subject: 'x'.repeat(257) })).toThrow(/"subject"/);
    expect(() => readMintRequest({ clientId: 'c', refreshToken: 'yes' })).toThrow(/"refreshToken"/);
    expect(() => readMintRequest({ clientId: 'c', scope: ['read'] })).toThrow(/"scope"/);
  });
});
