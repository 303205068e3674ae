import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isActive } from '#commons/domain/activity.ts';
import { InvalidScope } from '#commons/domain/errors.ts';
import { consumedAfter, refreshTokenAsOfGrant, refreshTokenOfGrant } from '#commons/domain/grants.ts';
import {
  type Client,
  CONSUMED_KEPT,
  type GrantRecord,
  type TokenRecord,
  type TokenState,
} from '#commons/domain/model.ts';
import { hashSecret, idPrefix, mintSecret, secretMatches } from '#commons/domain/secrets.ts';
import {
  formatToken,
  legacySubjectKeyOf,
  parseToken,
  presentToken,
  subjectKeyer,
  TOKEN_PREFIX,
} from '#commons/domain/token-format.ts';
import { grantScope, parseScope } from '#commons/domain/tokens.ts';

const NOW = 1_800_000_000_000;
const SECRET = Buffer.from('a per-deployment secret of the unit tests', 'utf8');
const subjectKeyOf = subjectKeyer(SECRET);
const client: Client = {
  clientId: 'c1',
  name: 'c',
  public: false,
  grantTypes: ['client_credentials', 'refresh_token'],
  scopes: ['read', 'write'],
  accessTokenTtl: 3600,
  refreshTokenTtl: 86400,
  refreshTokenRotation: false,
  refreshTokenReuseGraceSeconds: 10,
  createdAt: NOW - 10_000,
};
const grant: GrantRecord = {
  grantId: 'g1',
  clientId: 'c1',
  scope: 'read',
  issuedAt: NOW - 5000,
  currentRefreshTokenId: 'parent',
  refreshExpiresAt: NOW / 1000 + 86400,
  expiresAt: NOW / 1000 + 2 * 86400,
};
const parent: TokenRecord = {
  id: 'parent',
  kind: 'refresh',
  clientId: 'c1',
  scope: 'read',
  issuedAt: NOW - 5000,
  expiresAt: NOW / 1000 + 86400,
  grantType: 'external',
  grantId: 'g1',
  subject: 'alice',
  subjectKey: subjectKeyOf('alice'),
  refreshCount: 0,
  lastModifiedAt: NOW - 5000,
};
const child: TokenRecord = { ...parent, id: 'child', kind: 'access', expiresAt: NOW / 1000 + 3600 };
const state = (changes: Partial<TokenState> = {}): TokenState => ({
  token: child,
  client,
  grant,
  subjectCutoff: undefined,
  ...changes,
});

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

describe('token activity: one rule over one read', () => {
  it('is active while unexpired with its client and grant in place and no cut-off', () => {
    expect(isActive(state(), NOW)).toBe(true);
  });
  it('is inactive once expired, to the second', () => {
    expect(isActive(state(), child.expiresAt * 1000)).toBe(false);
    expect(isActive(state(), child.expiresAt * 1000 - 1)).toBe(true);
  });
  it('is inactive when the token, its client or its grant is gone', () => {
    expect(isActive(state({ token: undefined }), NOW)).toBe(false);
    expect(isActive(state({ client: undefined }), NOW)).toBe(false);
    expect(isActive(state({ grant: undefined }), NOW)).toBe(false);
  });
  it('is inactive when its client revoked everything issued up to or after it', () => {
    expect(isActive(state({ client: { ...client, tokensRevokedBefore: child.issuedAt } }), NOW)).toBe(false);
    expect(isActive(state({ client: { ...client, tokensRevokedBefore: child.issuedAt - 1 } }), NOW)).toBe(
      true,
    );
  });
  it('is inactive when its subject was cut off at or after its issue', () => {
    const cutoff = (at: number) => ({
      subjectKey: subjectKeyOf('alice'),
      tokensRevokedBefore: at,
      expiresAt: 0,
    });
    expect(isActive(state({ subjectCutoff: cutoff(child.issuedAt) }), NOW)).toBe(false);
    expect(isActive(state({ subjectCutoff: cutoff(child.issuedAt - 1) }), NOW)).toBe(true);
  });
  it('dies with its grant the moment that is marked revoked', () => {
    expect(isActive(state({ grant: { ...grant, revokedAt: NOW - 1 } }), NOW)).toBe(false);
  });
  it('is inactive once rotation consumed it (a refresh token)', () => {
    expect(isActive(state({ token: { ...parent, consumedAt: NOW - 1 } }), NOW)).toBe(false);
    expect(isActive(state({ token: parent }), NOW)).toBe(true);
  });
  it("is inactive when the client read is not the token's client", () => {
    expect(isActive(state({ client: { ...client, clientId: 'c2' } }), NOW)).toBe(false);
  });
  it('is inactive, a grant token, when its grant started at or before a cut-off, whenever it was issued', () => {
    // A refresh that read the client and subject before a cut-off's write landed mints after its instant.
    const late = { ...child, issuedAt: grant.issuedAt + 60_000 };
    const clientCut = { ...client, tokensRevokedBefore: grant.issuedAt };
    expect(isActive(state({ token: late, client: clientCut }), NOW)).toBe(false);
    const subjectCut = {
      subjectKey: subjectKeyOf('alice'),
      tokensRevokedBefore: grant.issuedAt,
      expiresAt: 0,
    };
    expect(isActive(state({ token: late, subjectCutoff: subjectCut }), NOW)).toBe(false);
    // A grant started after the cut-off is untouched by it.
    const before = { ...client, tokensRevokedBefore: grant.issuedAt - 1 };
    expect(isActive(state({ token: late, client: before }), NOW)).toBe(true);
    // A token without a grant keeps its own issue time.
    const alone = { ...late, grantId: undefined } as TokenRecord;
    expect(isActive(state({ token: alone, client: clientCut, grant: undefined }), NOW)).toBe(true);
  });
});

describe('refresh tokens held by their grant', () => {
  const held: GrantRecord = {
    ...grant,
    currentRefreshTokenId: 'current',
    currentRefreshIssuedAt: NOW - 1000,
    grantType: 'external',
    refreshCount: 2,
    rotations: 1,
    lastModifiedAt: NOW - 500,
    consumed: [{ id: 'parent', consumedAt: NOW - 1000, issuedAt: grant.issuedAt, refreshCount: 1 }],
  };
  it("is the current one, with the grant's scope, lifetime and count", () => {
    expect(refreshTokenOfGrant(held, 'current')).toEqual({
      id: 'current',
      kind: 'refresh',
      clientId: 'c1',
      grantId: 'g1',
      scope: 'read',
      issuedAt: NOW - 1000,
      expiresAt: held.refreshExpiresAt,
      grantType: 'refresh_token',
      refreshCount: 2,
      lastModifiedAt: NOW - 500,
    });
  });
  it('is a consumed one while the grant remembers it, and unknown once it does not', () => {
    expect(refreshTokenOfGrant(held, 'parent')).toMatchObject({
      consumedAt: NOW - 1000,
      grantType: 'external',
      refreshCount: 1,
    });
    expect(refreshTokenOfGrant(held, 'made-up')).toBeUndefined();
  });
  it('remembers the last few consumed, newest first', () => {
    let g = held;
    for (let i = 0; i < CONSUMED_KEPT + 2; i++) {
      g = { ...g, consumed: consumedAfter(g, { id: `r${i}`, consumedAt: i, issuedAt: i, refreshCount: 1 }) };
    }
    expect(g.consumed?.map((c) => c.id)).toEqual(
      Array.from({ length: CONSUMED_KEPT }, (_, i) => `r${CONSUMED_KEPT + 1 - i}`),
    );
  });
  it('sees an old-layout refresh token item consumed once its grant moved on, as reuse when forgotten', () => {
    const item: TokenRecord = { ...parent, id: 'old' };
    expect(refreshTokenAsOfGrant(item, { ...held, currentRefreshTokenId: 'old' })).toMatchObject({
      refreshCount: 2,
    });
    expect(refreshTokenAsOfGrant(item, held)).toMatchObject({ consumedAt: item.issuedAt });
  });
});

describe('token format', () => {
  const refs = {
    kind: 'access',
    clientId: 'AbC_d-1234567890123456',
    grantId: 'g'.repeat(22),
    subjectKey: subjectKeyOf('bob'),
  } as const;

  it('names its kind, client, grant and subject key, in RFC 6750 b64token characters', () => {
    const raw = formatToken(refs);
    expect(raw.startsWith(TOKEN_PREFIX.access)).toBe(true);
    expect(raw).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
    expect(parseToken(raw)).toEqual(refs);
    expect(parseToken(formatToken({ kind: 'access', clientId: 'c' }))).toEqual({
      kind: 'access',
      clientId: 'c',
    });
  });

  it('carries 256 random bits: no two tokens alike', () => {
    const raw = formatToken(refs);
    const random = raw.split('.')[3] ?? '';
    expect(Buffer.from(random, 'base64url')).toHaveLength(32);
    expect(formatToken(refs)).not.toBe(raw);
  });

  it('refuses a token whose checksum, prefix or shape is wrong', () => {
    const raw = formatToken(refs);
    const flipped = `${raw.slice(0, 40)}${raw[40] === 'A' ? 'B' : 'A'}${raw.slice(41)}`;
    expect(parseToken(flipped)).toBeUndefined();
    expect(parseToken(raw.replace('rvk_at_', 'rvk_xx_'))).toBeUndefined();
    expect(parseToken(raw.slice(0, -1))).toBeUndefined();
    expect(parseToken(mintSecret())).toBeUndefined();
    // A refresh token always names a grant.
    const noGrant = formatToken({ kind: 'refresh', clientId: 'c' });
    expect(parseToken(noGrant)).toBeUndefined();
  });

  it('hashes the whole token once for its id; the subject appears only as a hash', () => {
    const raw = formatToken(refs);
    expect(presentToken(raw)).toEqual({ id: hashSecret(raw), refs });
    expect(formatToken({ ...refs, subjectKey: subjectKeyOf('bob@example.com') })).not.toContain('bob');
  });
});

/** Contract [v3] "Subject key". */
describe('subject key: a keyed hash, never a plain one', () => {
  it('is the first 128 bits of HMAC-SHA-256 under the deployment secret, base64url', () => {
    const expected = createHmac('sha256', SECRET)
      .update('alice')
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    expect(subjectKeyOf('alice')).toBe(expected);
    expect(subjectKeyOf('alice')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('is no longer SHA-256 of the subject: a token does not confirm a guessed name', () => {
    // The example: K9gGyX8OAK8aH8Myj6djqQ is the first 128 bits of SHA-256("alice").
    const plain = createHash('sha256').update('alice').digest().subarray(0, 16).toString('base64url');
    expect(plain).toBe('K9gGyX8OAK8aH8Myj6djqQ');
    expect(legacySubjectKeyOf('alice')).toBe(plain);
    expect(subjectKeyOf('alice')).not.toBe(plain);
    const token = formatToken({ kind: 'access', clientId: 'c', subjectKey: subjectKeyOf('alice') });
    expect(token).not.toContain(plain);
  });

  it('differs between deployments and between subjects, and is stable within one', () => {
    const other = subjectKeyer(Buffer.from('another deployment secret, same length', 'utf8'));
    expect(other('alice')).not.toBe(subjectKeyOf('alice'));
    expect(subjectKeyOf('bob')).not.toBe(subjectKeyOf('alice'));
    expect(subjectKeyOf('alice')).toBe(subjectKeyer(Buffer.from(SECRET))('alice'));
  });

  it('refuses a secret shorter than 128 bits', () => {
    expect(() => subjectKeyer(Buffer.alloc(15))).toThrow(/128 bits/);
  });
});
