import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_KEY_FILE, localJwks, localKeys, localSigner } from '#commons/ssf/keys.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssf-keys-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The local keys and signer build JWKs and JWSs with Node's crypto; jose, as a receiver would, checks them. */
describe('local SET signing keys', () => {
  it('names a generated key by its RFC 7638 thumbprint, as jose computes it, in a file only the owner reads', async () => {
    const [key] = (await localKeys(dir)).keys;
    expect(key?.kty).toBe('RSA');
    expect(key?.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: key?.n, e: key?.e }));
    expect(fs.statSync(path.join(dir, LOCAL_KEY_FILE)).mode & 0o077).toBe(0);
    // A second start keeps the key (receivers' cached JWK Sets stay valid).
    expect((await localKeys(dir)).keys[0]?.kid).toBe(key?.kid);
  });

  it('signs SETs that jose verifies against the published JWK Set, typed secevent+jwt, with the kid', async () => {
    const claims = { iss: 'https://revocation.example', jti: 'j1', iat: 1_700_000_000, events: { e: {} } };
    const set = await localSigner(dir).sign(claims);
    const jwks = await localJwks(dir);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(set, createLocalJWKSet({ keys: [...jwks.keys] }), {
      typ: 'secevent+jwt',
      algorithms: ['RS256'],
    });
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'secevent+jwt', kid: jwks.keys[0]?.kid });
    expect(decodeProtectedHeader(set).kid).toBe(jwks.keys[0]?.kid);
  });

  it('refuses a SET whose payload was changed after signing', async () => {
    const set = await localSigner(dir).sign({ jti: 'j2' });
    const [h, , s] = set.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ jti: 'j3' })).toString('base64url')}.${s}`;
    const jwks = createLocalJWKSet({ keys: [...(await localJwks(dir)).keys] });
    await expect(jwtVerify(forged, jwks)).rejects.toThrow(/signature/);
  });
});
