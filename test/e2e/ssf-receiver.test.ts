/**
 * The SSF receiver over real sockets against the suite's local server: a trusted issuer registered as an
 * SSF transmitter (its SET keys at its own jwks_uri, served on loopback) pushes SETs signed by a test
 * transmitter (jose) to `POST /ssf/receiver/{issuerId}`. A verified CAEP session-revoked or RISC event
 * about a user makes that user's tokens of that issuer inactive (introspection says so); bad signatures,
 * another audience, an unknown issuer, a wrong `typ` and a replayed `jti` change nothing, with the RFC 8935
 * error codes.
 */
import { randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, introspect, type RegisteredClient, registerClient } from '#test/support/helpers.ts';
import {
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

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const ACCOUNT_DISABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled';

let jwks: JwksServer;
let introspector: RegisteredClient;
/** Signs the issuer's access tokens. */
let tokenKey: SigningKey;
/** Signs the issuer's SETs (published at the transmitter's own jwks_uri). */
let setKey: SigningKey;
let iss: string;
let issuerId: string;

const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  [jwks, introspector, tokenKey, setKey] = await Promise.all([
    startJwksServer(),
    registerClient({ name: 'ssf receiver introspector' }),
    signingKey('RS256'),
    signingKey('RS256'),
  ]);
  iss = uniqueIssuer('transmitter.example.test');
  const setJwksUri = jwks.url('ssf');
  jwks.set(setJwksUri, { keys: jwkSet(setKey) });
  ({ issuerId } = await registerIssuer({
    issuer: iss,
    jwks: jwkSet(tokenKey),
    ssf: { metadata: { issuer: iss, jwks_uri: setJwksUri } },
  }));
});

afterAll(async () => {
  await jwks.close();
});

/** An access token of the issuer for `sub`, issued `ageSeconds` ago. */
const accessToken = (sub: string, ageSeconds = 5) =>
  mint(tokenKey, { iss, sub, client_id: 'app', jti: randomUUID(), iat: nowSeconds() - ageSeconds });

/** A SET as a transmitter signs it; `claims` and `header` override the defaults. */
async function set(
  claims: JWTPayload & Record<string, unknown>,
  options: { key?: SigningKey; header?: Record<string, unknown> } = {},
): Promise<string> {
  const key = options.key ?? setKey;
  const payload = { iss, aud: baseUrl, jti: randomUUID(), iat: nowSeconds(), ...claims };
  return record(
    await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'secevent+jwt', ...options.header })
      .sign(key.privateKey),
  );
}

const sessionRevoked = (sub: string, extra: Record<string, unknown> = {}) => ({
  sub_id: { format: 'iss_sub', iss, sub },
  events: { [SESSION_REVOKED]: { event_timestamp: nowSeconds() } },
  ...extra,
});

async function push(jwt: string, target = issuerId, contentType = 'application/secevent+jwt') {
  const response = await fetch(`${baseUrl}/ssf/receiver/${target}`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json' },
    body: jwt,
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

const active = async (token: string) => (await introspect(introspector, token)).active;

describe('SSF receiver (RFC 8935 push from a trusted issuer)', () => {
  it('takes a session-revoked SET (202): that user’s tokens of the issuer are inactive, others’ are not', async () => {
    const alice = `alice-${randomUUID()}`;
    const [aliceToken, bobToken] = await Promise.all([
      accessToken(alice),
      accessToken(`bob-${randomUUID()}`),
    ]);
    expect(await active(aliceToken)).toBe(true);
    const pushed = await push(await set(sessionRevoked(alice)));
    expect(pushed).toEqual({ status: 202, json: undefined });
    expect(await active(aliceToken)).toBe(false);
    expect(await active(bobToken)).toBe(true);
  });

  it('takes RISC account-disabled with a complex subject, and ignores an event type it does not act on', async () => {
    const carol = `carol-${randomUUID()}`;
    const token = await accessToken(carol);
    const other = await push(
      await set({
        sub_id: { format: 'iss_sub', iss, sub: carol },
        events: { 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change': {} },
      }),
    );
    expect(other.status).toBe(202);
    expect(await active(token)).toBe(true);
    const disabled = await push(
      await set({
        sub_id: { format: 'complex', user: { format: 'iss_sub', iss, sub: carol } },
        events: { [ACCOUNT_DISABLED]: { reason: 'hijacking' } },
      }),
    );
    expect(disabled.status).toBe(202);
    expect(await active(token)).toBe(false);
  });

  it('processes a jti once: the same jti again is 202 and changes nothing, even with a later timestamp', async () => {
    const dave = `dave-${randomUUID()}`;
    const jti = randomUUID();
    const first = await push(
      await set(
        sessionRevoked(dave, { jti, events: { [SESSION_REVOKED]: { event_timestamp: nowSeconds() - 30 } } }),
      ),
    );
    expect(first.status).toBe(202);
    // Issued after the first SET's event: a second processing at a later time would revoke it.
    const later = await accessToken(dave, 0);
    const replay = await push(await set(sessionRevoked(dave, { jti })));
    expect(replay).toEqual({ status: 202, json: undefined });
    expect(await active(later)).toBe(true);
  });

  it('refuses a SET whose signature does not verify with the transmitter’s keys: 400 invalid_key', async () => {
    const erin = `erin-${randomUUID()}`;
    const token = await accessToken(erin);
    const forger = await signingKey('RS256', setKey.kid);
    const forged = await push(await set(sessionRevoked(erin), { key: forger }));
    expect(forged.status).toBe(400);
    expect(forged.json).toMatchObject({ err: 'invalid_key' });
    // The issuer's token key is not a SET key of this transmitter either.
    const tokenSigned = await push(await set(sessionRevoked(erin), { key: tokenKey }));
    expect(tokenSigned.json).toMatchObject({ err: 'invalid_key' });
    expect(await active(token)).toBe(true);
  });

  it('refuses a SET for another audience (400 invalid_audience) and from another issuer (400 invalid_issuer)', async () => {
    const frank = `frank-${randomUUID()}`;
    const token = await accessToken(frank);
    const elsewhere = await push(await set(sessionRevoked(frank, { aud: 'https://other.example' })));
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json).toMatchObject({ err: 'invalid_audience' });
    const otherIss = await push(await set(sessionRevoked(frank, { iss: uniqueIssuer() })));
    expect(otherIss.json).toMatchObject({ err: 'invalid_issuer' });
    const unknown = await push(await set(sessionRevoked(frank)), 'AAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ err: 'invalid_issuer' });
    expect(await active(token)).toBe(true);
  });

  it('refuses an issuer not registered as a transmitter, a wrong typ and a wrong content type', async () => {
    const gina = `gina-${randomUUID()}`;
    const token = await accessToken(gina);
    const plain = await registerIssuer({ issuer: uniqueIssuer(), jwks: jwkSet(tokenKey) });
    const notTransmitter = await push(await set(sessionRevoked(gina)), plain.issuerId);
    expect(notTransmitter.json).toMatchObject({ err: 'invalid_issuer' });
    const jwtTyp = await push(await set(sessionRevoked(gina), { header: { typ: 'JWT' } }));
    expect(jwtTyp.status).toBe(400);
    expect(jwtTyp.json).toMatchObject({ err: 'invalid_request' });
    const asJson = await push(await set(sessionRevoked(gina)), issuerId, 'application/json');
    expect(asJson.json).toMatchObject({ err: 'invalid_request' });
    const garbage = await push('not.a.jws');
    expect(garbage.json).toMatchObject({ err: 'invalid_request' });
    expect(await active(token)).toBe(true);
  });
});
