/**
 * Trusted issuers in the tests: signing keys (RS256, ES256, EdDSA), JWTs shaped like Cognito's, Keycloak's
 * and Auth0's signed with them, and a JWK Set server on loopback whose answers a test controls (keys,
 * max-age, down, slow, huge, redirecting), counting the fetches it serves.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { admin, runDir } from './helpers.ts';

export type Alg = 'RS256' | 'ES256' | 'EdDSA';

export interface SigningKey {
  readonly alg: Alg;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public JWK, with `kid`, `alg` and `use`. */
  readonly jwk: JWK;
}

/** A new key pair for `alg`, its public half as a JWK named `kid`. */
export async function signingKey(alg: Alg, kid = `k-${randomBytes(4).toString('hex')}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A JWK Set of these keys' public halves. */
export const jwkSet = (...keys: SigningKey[]) => ({ keys: keys.map((key) => key.jwk) });

/** Every JWT a test mints is recorded, so the audit proves none was stored, logged or published. */
export function record(token: string): string {
  appendFileSync(join(runDir, 'secrets.txt'), `${token}\n`);
  return token;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * A JWT signed with `key`: `iat` now and `exp` in an hour unless the claims say otherwise (a claim set to
 * `undefined` is left out), the header's `kid` and `alg` from the key unless `header` overrides them.
 */
export async function mint(
  key: SigningKey,
  claims: JWTPayload & Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = { iat: now(), exp: now() + 3600, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const protectedHeader = { alg: key.alg, kid: key.kid, ...header } as { alg: string };
  return record(await new SignJWT(payload).setProtectedHeader(protectedHeader).sign(key.privateKey));
}

/** An access token as Amazon Cognito mints one (token_use, origin_jti, client_id, username, no aud). */
export function cognitoAccessToken(key: SigningKey, iss: string, claims: Record<string, unknown> = {}) {
  return mint(key, {
    iss,
    sub: randomUUID(),
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: now(),
    jti: randomUUID(),
    origin_jti: randomUUID(),
    client_id: 'cognito-app-client',
    username: 'alice',
    ...claims,
  });
}

/** An access token as Keycloak mints one (sid, azp, typ: Bearer, aud, scope). */
export function keycloakAccessToken(key: SigningKey, iss: string, claims: Record<string, unknown> = {}) {
  return mint(
    key,
    {
      iss,
      sub: randomUUID(),
      typ: 'Bearer',
      azp: 'keycloak-client',
      sid: randomUUID(),
      aud: 'account',
      scope: 'openid profile email',
      jti: randomUUID(),
      ...claims,
    },
    { typ: 'JWT' },
  );
}

/** An access token as Auth0 mints one (no jti, azp, an aud array, scope). */
export function auth0AccessToken(key: SigningKey, iss: string, claims: Record<string, unknown> = {}) {
  return mint(
    key,
    {
      iss,
      sub: `auth0|${randomBytes(8).toString('hex')}`,
      aud: ['https://api.example.test', `${iss}userinfo`],
      azp: 'auth0-client-id',
      scope: 'openid read:things',
      ...claims,
    },
    { typ: 'JWT' },
  );
}

/** How the JWK Set server answers one path. */
export interface JwksBehaviour {
  /** The set served; default none (404). */
  keys?: unknown;
  /** `Cache-Control: max-age` to send. */
  maxAge?: number;
  /** Answer this status instead (the issuer is down). */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer 302 to this URL. */
  redirectTo?: string;
  /** Pad the set to this many bytes (the size cap). */
  padTo?: number;
}

/** A JWK Set server on loopback: one behaviour per path, and a count of the fetches of each. */
export interface JwksServer {
  /** `http://127.0.0.1:PORT/<name>/jwks.json`, a path of its own for one test's issuer. */
  url(name: string): string;
  set(url: string, behaviour: JwksBehaviour): void;
  fetches(url: string): number;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const behaviours = new Map<string, JwksBehaviour>();
  const counts = new Map<string, number>();
  const answer = (response: ServerResponse, behaviour: JwksBehaviour | undefined) => {
    if (!behaviour?.keys && behaviour?.status === undefined && behaviour?.redirectTo === undefined) {
      response.writeHead(404).end();
      return;
    }
    if (behaviour.redirectTo !== undefined) {
      response.writeHead(302, { location: behaviour.redirectTo }).end();
      return;
    }
    if (behaviour.status !== undefined) {
      response.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    let body = JSON.stringify(behaviour.keys);
    if (behaviour.padTo !== undefined && body.length < behaviour.padTo) {
      // Still a valid JWK Set: the padding is one more member of the set object.
      body = `${body.slice(0, -1)},"padding":"${'x'.repeat(behaviour.padTo - body.length)}"}`;
    }
    response.writeHead(200, {
      'content-type': 'application/json',
      ...(behaviour.maxAge !== undefined && { 'cache-control': `public, max-age=${behaviour.maxAge}` }),
    });
    response.end(body);
  };
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const behaviour = behaviours.get(path);
    const delay = behaviour?.delayMs ?? 0;
    if (delay > 0) setTimeout(() => answer(response, behaviour), delay).unref();
    else answer(response, behaviour);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pathOf = (url: string) => new URL(url).pathname;
  return {
    url: (name) => `${base}/${name}-${randomBytes(4).toString('hex')}/jwks.json`,
    set: (url, behaviour) => behaviours.set(pathOf(url), behaviour),
    fetches: (url) => counts.get(pathOf(url)) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An issuer URL no other test uses (a fresh issuer, so no warm cache of the server knows it). */
export const uniqueIssuer = (host = 'issuer.example.test') =>
  `https://${host}/${randomBytes(6).toString('hex')}`;

/** Registers a trusted issuer through the admin API; the registration as the API shows it. */
export async function registerIssuer(
  body: Record<string, unknown>,
): Promise<Record<string, unknown> & { issuerId: string }> {
  const response = await admin('POST', '/admin/issuers', body);
  if (response.status !== 201)
    throw new Error(`issuer registration failed: ${response.status} ${JSON.stringify(response.json)}`);
  return response.json as Record<string, unknown> & { issuerId: string };
}
