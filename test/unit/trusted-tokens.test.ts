/**
 * The trusted tokens' rules as pure functions: verification by the contract's rules with real keys (an
 * inline JWK Set, jose's own key selection), the token id, ID token detection, and the activity rule's
 * cut-offs to the second.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { KeysUnavailable } from '#commons/domain/errors.ts';
import { coveredUntil, type Issuer, newIssuer } from '#commons/domain/issuers.ts';
import type { TrustedState } from '#commons/domain/trusted-store.ts';
import {
  isIdToken,
  isJwsShaped,
  isTrustedActive,
  type KeySource,
  revocationRecordOf,
  signingInputId,
  type TrustedToken,
  verifyForIssuer,
} from '#commons/domain/trusted-tokens.ts';

const NOW = 1_800_000_000_000;
const nowS = NOW / 1000;

async function keyPair(alg: 'RS256' | 'ES256' | 'EdDSA', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

const inline = (issuer: Issuer): KeySource => ({
  keysOf: () => createLocalJWKSet(issuer.jwks ?? { keys: [] }),
});

const sign = (
  key: { alg: string; kid: string; privateKey: CryptoKey },
  claims: Record<string, unknown>,
  header = {},
) => new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);

describe('verifyForIssuer', async () => {
  const key = await keyPair('ES256', 'k1');
  const issuer = newIssuer(
    {
      issuer: 'https://issuer.example.test',
      jwks: { keys: [key.jwk] },
      familyClaim: 'sid',
      maxTokenLifetimeSeconds: 3600,
    },
    NOW - 1000,
  );
  const claims = { iss: issuer.issuer, sub: 's', azp: 'c', sid: 'f', iat: nowS - 10, exp: nowS + 600 };
  const verify = (token: string, on = issuer) => verifyForIssuer(on, token, inline(on), NOW);

  it('reads what the rule needs from a valid token: id, family, client, subject, scope', async () => {
    const token = await sign(key, { ...claims, jti: 'j', scp: ['a', 'b'] });
    expect(await verify(token)).toMatchObject({
      tokenId: 'j',
      jti: 'j',
      family: 'f',
      clientId: 'c',
      subject: 's',
      scope: 'a b',
      iat: nowS - 10,
      exp: nowS + 600,
    });
  });

  it('names a token without jti by the SHA-256 of its signing input', async () => {
    const token = await sign(key, claims);
    const verified = await verify(token);
    expect(verified?.tokenId).toBe(signingInputId(token));
    expect(verified).not.toHaveProperty('jti');
    // The signature is no part of the id.
    expect(signingInputId(`${token.slice(0, token.lastIndexOf('.'))}.AAAA`)).toBe(verified?.tokenId);
  });

  it('takes exp strictly: a token expiring this very second is not trusted', async () => {
    expect(await verify(await sign(key, { ...claims, exp: nowS }))).toBeUndefined();
    expect(await verify(await sign(key, { ...claims, exp: nowS + 1 }))).toBeDefined();
  });

  it('allows iat and nbf 60 s ahead, not 61', async () => {
    expect(await verify(await sign(key, { ...claims, iat: nowS + 60, nbf: nowS + 60 }))).toBeDefined();
    expect(await verify(await sign(key, { ...claims, iat: nowS + 61 }))).toBeUndefined();
    expect(await verify(await sign(key, { ...claims, nbf: nowS + 61 }))).toBeUndefined();
  });

  it('refuses an iat that is not a number, and a lifetime over the maximum', async () => {
    expect(await verify(await sign(key, { ...claims, iat: String(nowS) }))).toBeUndefined();
    expect(await verify(await sign(key, { ...claims, iat: nowS, exp: nowS + 3601 }))).toBeUndefined();
  });

  it("refuses an alg outside the issuer's list, even when the key would verify it", async () => {
    const rsa = await keyPair('RS256', 'r1');
    const only = newIssuer(
      { issuer: 'https://rs.example.test', jwks: { keys: [rsa.jwk] }, algorithms: ['ES256'] },
      NOW,
    );
    expect(await verify(await sign(rsa, { ...claims, iss: only.issuer }), only)).toBeUndefined();
  });

  it('tries every key of the alg when the token names no kid', async () => {
    const second = await keyPair('ES256', 'k2');
    const two = newIssuer({ issuer: 'https://two.example.test', jwks: { keys: [key.jwk, second.jwk] } }, NOW);
    const token = await new SignJWT({ ...claims, iss: two.issuer })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(second.privateKey);
    expect(await verify(token, two)).toBeDefined();
  });

  it('passes KeysUnavailable on: neither trusted nor untrusted can be said', async () => {
    const unavailable: KeySource = {
      keysOf: () => async () => {
        throw new KeysUnavailable(issuer.issuerId, 3);
      },
    };
    const token = await sign(key, claims);
    await expect(verifyForIssuer(issuer, token, unavailable, NOW)).rejects.toBeInstanceOf(KeysUnavailable);
  });
});

describe('isIdToken and isJwsShaped', () => {
  it.each([
    [{}, { token_use: 'id' }, true],
    [{}, { typ: 'ID' }, true],
    [{ typ: 'JWT' }, { typ: 'Bearer' }, false],
    [{ typ: 'at+jwt' }, {}, false],
    [{ typ: 'application/AT+JWT' }, {}, false],
    [{ typ: 'secevent+jwt' }, {}, true],
    [{ typ: 'id_token+jwt' }, {}, true],
    [{}, { token_use: 'access' }, false],
  ])('header %j, claims %j: %s', (header, claims, expected) => {
    expect(isIdToken(header, claims)).toBe(expected);
  });

  it("tells a JWS compact serialization from the service's own tokens and from junk", () => {
    expect(isJwsShaped('eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln')).toBe(true);
    expect(isJwsShaped('eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.')).toBe(true);
    expect(isJwsShaped('rvk_at_abc.def.ghi')).toBe(false);
    expect(isJwsShaped('eyJ.a.b.c')).toBe(false);
  });
});

describe('isTrustedActive', () => {
  const issuer = newIssuer(
    { issuer: 'https://i.example.test', jwksUri: 'https://i.example.test/jwks' },
    NOW - 5000,
  );
  const token: TrustedToken = { issuer, tokenId: 't', iat: nowS - 100, exp: nowS + 100 };
  const state = (fields: Partial<TrustedState> = {}): TrustedState => ({
    issuer,
    token: undefined,
    family: undefined,
    client: undefined,
    subject: undefined,
    ...fields,
  });

  it('is active with its issuer registered and nothing revoked', () => {
    expect(isTrustedActive(state(), token, NOW)).toBe(true);
  });

  it('is inactive once its issuer is gone or registered anew', () => {
    expect(isTrustedActive(state({ issuer: undefined }), token, NOW)).toBe(false);
    expect(
      isTrustedActive(state({ issuer: { ...issuer, createdAt: issuer.createdAt + 1 } }), token, NOW),
    ).toBe(false);
  });

  it('compares a cut-off floored to seconds with iat: at or before is cut off', () => {
    const at = (iat: number, before: number) =>
      isTrustedActive(state({ issuer: { ...issuer, tokensRevokedBefore: before } }), { ...token, iat }, NOW);
    expect(at(nowS - 100, (nowS - 100) * 1000 + 999)).toBe(false);
    expect(at(nowS - 100, (nowS - 101) * 1000 + 999)).toBe(true);
    const client = { expiresAt: nowS + 10, tokensRevokedBefore: (nowS - 100) * 1000 };
    expect(isTrustedActive(state({ client }), token, NOW)).toBe(false);
    expect(isTrustedActive(state({ subject: client }), token, NOW)).toBe(false);
  });

  it('treats records and cut-offs past their expiresAt as absent', () => {
    expect(isTrustedActive(state({ token: { expiresAt: nowS + 1 } }), token, NOW)).toBe(false);
    expect(isTrustedActive(state({ token: { expiresAt: nowS } }), token, NOW)).toBe(true);
    expect(isTrustedActive(state({ family: { expiresAt: nowS + 1 } }), token, NOW)).toBe(false);
    const expired = { expiresAt: nowS, tokensRevokedBefore: NOW };
    expect(isTrustedActive(state({ client: expired }), token, NOW)).toBe(true);
  });
});

describe('revocation records and their lifetimes', () => {
  const issuer = newIssuer(
    { issuer: 'https://c.example.test', jwksUri: 'https://c.example.test/jwks', familyClaim: 'origin_jti' },
    NOW,
  );

  it("a token's record lives until its exp plus 5 minutes; a family's familyLifetimeSeconds from now", () => {
    const token: TrustedToken = { issuer, tokenId: randomUUID(), iat: nowS, exp: nowS + 3600 };
    expect(revocationRecordOf(token, NOW)).toMatchObject({
      target: { of: 'token' },
      expiresAt: nowS + 3600 + 300,
    });
    expect(revocationRecordOf({ ...token, family: 'f' }, NOW)).toMatchObject({
      target: { of: 'family', family: 'f' },
      expiresAt: nowS + 2592000,
    });
  });

  it('a cut-off is kept until no token it covers can be valid', () => {
    expect(coveredUntil(issuer, NOW)).toBe(nowS + 60 + 86400 + 300);
  });
});
