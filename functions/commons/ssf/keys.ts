/**
 * The keys that sign the transmitter's SETs, and the JWK Set that publishes them (`jwks_uri`). On AWS an
 * asymmetric KMS key (RSA_2048, SIGN_VERIFY): the private key never leaves KMS, only the deliverer may
 * call `Sign`, only the JWKS route `GetPublicKey`. Locally an RSA key generated at first start and kept in
 * the data directory. Either way: RS256 (the CAEP interoperability profile), `typ: secevent+jwt`, and a
 * `kid` the receiver finds at `jwks_uri`. The first key of a list signs; the others are only published,
 * for the overlap of a rotation (docs/ssf.md).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
  sign,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { JWK } from 'jose';
import type { SetSigner } from '../domain/ssf-delivery.ts';

/** The JOSE header of every SET (RFC 8417 2.3: explicit typing). */
const header = (kid: string) => ({ alg: 'RS256', typ: 'secevent+jwt', kid });

const b64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

/**
 * A SET as a compact JWS (RFC 7515 7.1): `BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature)`,
 * `signature` being RS256 of the signing input (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 3.3). Built here
 * for both signers, with Node's crypto, not jose: a KMS key's private half never leaves KMS, so jose could
 * not sign with it anyway, and the deliverer's bundle then carries no JOSE library (about 18 KB).
 * Receivers (and the tests) verify the result with jose like any RS256 JWS.
 */
async function compactJws(
  kid: string,
  claims: object,
  signature: (input: string) => Promise<Uint8Array>,
): Promise<string> {
  const input = `${b64url(JSON.stringify(header(kid)))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(await signature(input))}`;
}

/** RFC 7638 JWK thumbprint (SHA-256) of an RSA key: its required members, sorted, without whitespace. */
function rsaThumbprint(jwk: JWK): string {
  return createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest('base64url');
}

/** A published verification key: `kty`, `n`, `e`, `kid`, `alg`, `use`. */
export type PublicJwk = JWK & { readonly kid: string };

/** `{"keys": [...]}`: the document at `jwks_uri`. */
export interface JwkSet {
  readonly keys: readonly PublicJwk[];
}

const publicJwk = (jwk: JWK, kid: string): PublicJwk => ({
  kty: jwk.kty,
  n: jwk.n,
  e: jwk.e,
  kid,
  alg: 'RS256',
  use: 'sig',
});

/** The local key file (in the data directory): private JWKs, the signing one first. */
export const LOCAL_KEY_FILE = 'ssf-signing-keys.json';

interface LocalKeyFile {
  readonly keys: readonly (JWK & { kid: string })[];
}

/**
 * The local signing keys in `dir`, generated (RSA 2048) and written there, readable by the owner only,
 * the first time. A kept data directory keeps the keys, so receivers' cached JWK Sets stay valid across
 * restarts.
 */
export async function localKeys(dir: string): Promise<LocalKeyFile> {
  const file = join(dir, LOCAL_KEY_FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalKeyFile;
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = rsaThumbprint(jwk);
  const keys: LocalKeyFile = { keys: [{ ...jwk, kid }] };
  mkdirSync(dir, { recursive: true });
  // Written whole, then renamed: two processes starting at once never read half a key.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(keys), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return JSON.parse(readFileSync(file, 'utf8')) as LocalKeyFile;
}

/** Signs with the first local key. */
export function localSigner(dir: string): SetSigner {
  let key: Promise<{ kid: string; privateKey: KeyObject }> | undefined;
  const load = async () => {
    const [first] = (await localKeys(dir)).keys;
    if (!first) throw new Error(`no signing key in ${join(dir, LOCAL_KEY_FILE)}`);
    return { kid: first.kid, privateKey: createPrivateKey({ key: first as JsonWebKey, format: 'jwk' }) };
  };
  return {
    async sign(claims) {
      key ??= load();
      const { kid, privateKey } = await key;
      return compactJws(kid, claims, async (input) => sign('sha256', Buffer.from(input), privateKey));
    },
  };
}

/** The public half of every local key. */
export async function localJwks(dir: string): Promise<JwkSet> {
  return { keys: (await localKeys(dir)).keys.map((jwk) => publicJwk(jwk, jwk.kid)) };
}

/** A KMS key's `kid`: its key id (the UUID of its ARN), which names it without a call to KMS. */
export function kmsKid(keyIdOrArn: string): string {
  return keyIdOrArn.split('/').pop() ?? keyIdOrArn;
}

/**
 * Signs with a KMS key: the signing input (see `compactJws`) is hashed with SHA-256 and KMS signs the
 * digest with RSASSA_PKCS1_V1_5_SHA_256, which is exactly JWS RS256 (RFC 7518 3.3). Signing the digest
 * (MessageType DIGEST) rather than the message keeps any SET under KMS's 4 KB message limit.
 */
export function kmsSigner(client: KMSClient, keyId: string): SetSigner {
  const kid = kmsKid(keyId);
  return {
    sign: (claims) =>
      compactJws(kid, claims, async (input) => {
        const digest = createHash('sha256').update(input).digest();
        const { Signature } = await client.send(
          new SignCommand({
            KeyId: keyId,
            Message: digest,
            MessageType: 'DIGEST',
            SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
          }),
          { abortSignal: AbortSignal.timeout(5000) },
        );
        if (!Signature) throw new Error('KMS returned no signature');
        return Signature;
      }),
  };
}

/** The public halves of KMS keys (one `GetPublicKey` each), as JWKs named by `kmsKid`. */
export async function kmsJwks(client: KMSClient, keyIds: readonly string[]): Promise<JwkSet> {
  const keys = await Promise.all(
    keyIds.map(async (keyId) => {
      const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: keyId }), {
        abortSignal: AbortSignal.timeout(5000),
      });
      if (!PublicKey) throw new Error('KMS returned no public key');
      const key: KeyObject = createPublicKey({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' });
      return publicJwk(key.export({ format: 'jwk' }) as JWK, kmsKid(keyId));
    }),
  );
  return { keys };
}
