import { describe, expect, it } from 'vitest';
import { InvalidScope } from '#commons/domain/errors.ts';
import type { Client, TokenRecord } from '#commons/domain/model.ts';
import { hashSecret, idPrefix, mintSecret, secretMatches } from '#commons/domain/secrets.ts';
import { grantScope, isActive, parseScope } from '#commons/domain/tokens.ts';

const NOW = 1_800_000_000_000;
const client: Client = {
  clientId: 'c1',
  name: 'c',
  public: false,
  grantTypes: ['client_credentials', 'refresh_token'],
  scopes: ['read', 'write'],
  accessTokenTtl: 3600,
  refreshTokenTtl: 86400,
  createdAt: NOW - 10_000,
};
const parent: TokenRecord = {
  id: 'parent',
  kind: 'refresh',
  clientId: 'c1',
  scope: 'read',
  issuedAt: NOW - 5000,
  expiresAt: NOW / 1000 + 86400,
  grantType: 'client_credentials',
  refreshCount: 0,
  lastModifiedAt: NOW - 5000,
};
const child: TokenRecord = {
  ...parent,
  id: 'child',
  kind: 'access',
  expiresAt: NOW / 1000 + 3600,
  refreshTokenId: 'parent',
  refreshExpiresAt: parent.expiresAt,
};

describe('secrets', () => {
  it('mints 256-bit base64url values, different every time', () => {
    const a = mintSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(mintSecret()).not.toBe(a);
  });

  it('stores SHA-256 hashes, which never equal the raw value', () => {
    const raw = mintSecret();
    expect(hashSecret(raw)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashSecret(raw)).not.toBe(raw);
    expect(hashSecret(raw)).toBe(hashSecret(raw));
  });

  it('matches a secret against its hash only', () => {
    const raw = mintSecret();
    expect(secretMatches(raw, hashSecret(raw))).toBe(true);
    expect(secretMatches(`${raw}x`, hashSecret(raw))).toBe(false);
    expect(secretMatches(raw, undefined)).toBe(false);
    expect(secretMatches('', undefined)).toBe(false);
  });

  it('logs only an 8-character prefix of a token id', () => {
    expect(idPrefix(hashSecret('x'))).toHaveLength(8);
  });
});

describe('scope (RFC 6749 3.3)', () => {
  it('parses space-separated scope tokens and drops repeats', () => {
    expect(parseScope('read  write read')).toEqual(['read', 'write']);
  });
  it('rejects characters outside scope-token', () => {
    expect(() => parseScope('re"ad')).toThrow(InvalidScope);
    expect(() => parseScope('   ')).toThrow(InvalidScope);
  });
  it('grants the requested subset, or everything allowed when none is requested', () => {
    expect(grantScope('write', ['read', 'write'])).toBe('write');
    expect(grantScope(undefined, ['read', 'write'])).toBe('read write');
  });
  it('refuses scopes outside the allowed set with invalid_scope', () => {
    expect(() => grantScope('admin read', ['read'])).toThrow(
      expect.objectContaining({ code: 'invalid_scope' }),
    );
  });
});

describe('token activity', () => {
  it('is active while unexpired with its client and parent in place', () => {
    expect(isActive(child, { client, parent }, NOW)).toBe(true);
  });
  it('is inactive once expired, to the second', () => {
    expect(isActive(child, { client, parent }, child.expiresAt * 1000)).toBe(false);
    expect(isActive(child, { client, parent }, child.expiresAt * 1000 - 1)).toBe(true);
  });
  it('is inactive when its client is gone', () => {
    expect(isActive(child, { client: undefined, parent }, NOW)).toBe(false);
  });
  it('is inactive when its client revoked everything issued up to or after it', () => {
    const revoked = { ...client, tokensRevokedBefore: child.issuedAt };
    expect(isActive(child, { client: revoked, parent }, NOW)).toBe(false);
    const earlier = { ...client, tokensRevokedBefore: child.issuedAt - 1 };
    expect(isActive(child, { client: earlier, parent }, NOW)).toBe(true);
  });
  it('dies with its refresh token the moment that is marked revoked', () => {
    expect(isActive(child, { client, parent: { ...parent, revoked: true } }, NOW)).toBe(false);
    expect(isActive({ ...parent, revoked: true }, { client, parent: undefined }, NOW)).toBe(false);
  });
  it('treats a parent missing before its expiry as revoked, and after it as merely expired', () => {
    expect(isActive(child, { client, parent: undefined }, NOW)).toBe(false);
    const longChild = { ...child, expiresAt: parent.expiresAt + 10 };
    expect(isActive(longChild, { client, parent: undefined }, parent.expiresAt * 1000 + 1)).toBe(true);
  });
});
