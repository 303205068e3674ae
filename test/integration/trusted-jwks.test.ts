/**
 * The trusted issuers' key fetcher against a real HTTP server on loopback: how long a set is kept
 * (10 minutes, or a shorter max-age), one refetch per 30 s for an unknown kid, the deadline, the size
 * cap, no redirects, https only (plain http only to loopback, only when allowed), failures that make
 * KeysUnavailable with a Retry-After, and concurrent first uses sharing one fetch. The clock is the
 * test's, so no test waits for minutes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeysUnavailable } from '#commons/domain/errors.ts';
import { type Issuer, newIssuer } from '#commons/domain/issuers.ts';
import { type FetchReport, fetchableJwksUri, JwksKeySource, maxAgeSeconds } from '#commons/trusted/jwks.ts';

interface Route {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

let server: Server;
let base: string;
const routes = new Map<string, Route>();
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path) ?? { status: 404, body: '' };
    const answer = () => {
      response.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers });
      response.end(route.body ?? '');
    };
    if (route.delayMs) setTimeout(answer, route.delayMs).unref();
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

let counter = 0;
async function publicKey(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
}

/** A path of its own, serving `keys`, and an issuer registered with it. */
function issuerAt(route: Route): { issuer: Issuer; path: string } {
  const path = `/jwks-${++counter}`;
  routes.set(path, route);
  return {
    path,
    issuer: newIssuer({ issuer: `https://issuer-${counter}.example.test`, jwksUri: `${base}${path}` }, 1),
  };
}

/** A key source on a clock the test moves. */
function source(options: { allowLoopbackHttp?: boolean } = {}) {
  const clock = { now: 1_000_000 };
  const reports: FetchReport[] = [];
  const keys = new JwksKeySource({
    clock: () => clock.now,
    allowLoopbackHttp: options.allowLoopbackHttp ?? true,
    onFetch: (report) => reports.push(report),
  });
  return { clock, reports, keys };
}

const header = (kid: string) => ({ alg: 'ES256', kid });
const resolve = async (keys: JwksKeySource, issuer: Issuer, kid: string) =>
  keys.keysOf(issuer)(header(kid), { payload: '', signature: '' });

describe('JwksKeySource', () => {
  it('keeps a set for 10 minutes: no fetch on the hot path, one when it has expired', async () => {
    const { issuer, path } = issuerAt({ body: JSON.stringify({ keys: [await publicKey('a')] }) });
    const { clock, keys, reports } = source();
    await resolve(keys, issuer, 'a');
    for (let i = 0; i < 50; i++) await resolve(keys, issuer, 'a');
    expect(hits.get(path)).toBe(1);
    clock.now += 10 * 60 * 1000 - 1;
    await resolve(keys, issuer, 'a');
    expect(hits.get(path)).toBe(1);
    clock.now += 1;
    await resolve(keys, issuer, 'a');
    expect(hits.get(path)).toBe(2);
    expect(reports.map((r) => r.reason)).toEqual(['first use', 'expired']);
  });

  it("keeps a set for the response's max-age when shorter (at least 30 s)", async () => {
    const body = JSON.stringify({ keys: [await publicKey('a')] });
    const short = issuerAt({ body, headers: { 'cache-control': 'public, max-age=120' } });
    const zero = issuerAt({ body, headers: { 'cache-control': 'no-store' } });
    const { clock, keys } = source();
    await resolve(keys, short.issuer, 'a');
    await resolve(keys, zero.issuer, 'a');
    clock.now += 30_000;
    await resolve(keys, short.issuer, 'a');
    await resolve(keys, zero.issuer, 'a');
    expect([hits.get(short.path), hits.get(zero.path)]).toEqual([1, 2]);
    clock.now += 90_000;
    await resolve(keys, short.issuer, 'a');
    expect(hits.get(short.path)).toBe(2);
  });

  it('refetches once for an unknown kid, then not again for 30 s', async () => {
    const route: Route = { body: JSON.stringify({ keys: [await publicKey('a')] }) };
    const { issuer, path } = issuerAt(route);
    const { clock, keys } = source();
    await resolve(keys, issuer, 'a');
    route.body = JSON.stringify({ keys: [await publicKey('a'), await publicKey('b')] });
    await resolve(keys, issuer, 'b');
    expect(hits.get(path)).toBe(2);
    await expect(resolve(keys, issuer, 'c')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    clock.now += 29_999;
    await expect(resolve(keys, issuer, 'c')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(hits.get(path)).toBe(2);
    clock.now += 1;
    await expect(resolve(keys, issuer, 'c')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(hits.get(path)).toBe(3);
  });

  it('shares one fetch between concurrent first uses', async () => {
    const { issuer, path } = issuerAt({
      body: JSON.stringify({ keys: [await publicKey('a')] }),
      delayMs: 100,
    });
    const { keys } = source();
    await Promise.all(Array.from({ length: 20 }, () => resolve(keys, issuer, 'a')));
    expect(hits.get(path)).toBe(1);
  });

  it.each([
    ['an error status', { status: 500, body: 'down' }, 'status 500'],
    [
      'a redirect',
      { status: 302, headers: { location: 'https://elsewhere.example.test/jwks' } },
      'redirect (302)',
    ],
    [
      'a body over 64 KiB (declared)',
      { body: `{"keys":[],"x":"${'x'.repeat(70_000)}"}` },
      'response over 65536 bytes',
    ],
    ['something that is not a JWK Set', { body: '{"keys":"none"}' }, 'not a JWK Set'],
  ])(
    'fails on %s: KeysUnavailable, Retry-After until the next attempt, no fetch meanwhile',
    async (_what, route, cause) => {
      const { issuer, path } = issuerAt(route as Route);
      const { clock, keys, reports } = source();
      const error = await resolve(keys, issuer, 'a').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeysUnavailable);
      expect((error as KeysUnavailable).retryAfterSeconds).toBe(5);
      expect(reports).toMatchObject([{ ok: false, cause }]);
      clock.now += 2000;
      await expect(resolve(keys, issuer, 'a')).rejects.toMatchObject({ retryAfterSeconds: 3 });
      expect(hits.get(path)).toBe(1);
      clock.now += 3000;
      await expect(resolve(keys, issuer, 'a')).rejects.toBeInstanceOf(KeysUnavailable);
      expect(hits.get(path)).toBe(2);
    },
  );

  it('fails on a body over 64 KiB sent without a length (chunked), reading no further', async () => {
    const path = `/chunked-${++counter}`;
    const chunked = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const piece = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 8; i++) response.write(piece);
      response.end();
    });
    await new Promise<void>((done) => chunked.listen(0, '127.0.0.1', done));
    const issuer = newIssuer(
      {
        issuer: 'https://chunked.example.test',
        jwksUri: `http://127.0.0.1:${(chunked.address() as AddressInfo).port}${path}`,
      },
      1,
    );
    const { keys, reports } = source();
    await expect(resolve(keys, issuer, 'a')).rejects.toBeInstanceOf(KeysUnavailable);
    expect(reports[0]?.cause).toBe('response over 65536 bytes');
    chunked.closeAllConnections();
    chunked.close();
  });

  it('gives up after the 2 s deadline', async () => {
    const { issuer } = issuerAt({ body: '{"keys":[]}', delayMs: 3000 });
    const { keys, reports } = source();
    const started = Date.now();
    await expect(resolve(keys, issuer, 'a')).rejects.toBeInstanceOf(KeysUnavailable);
    expect(Date.now() - started).toBeLessThan(2900);
    expect(reports[0]?.cause).toBe('timed out');
  });

  it('fetches plain http from loopback only when allowed (locally), and never from another host', async () => {
    const { issuer, path } = issuerAt({ body: JSON.stringify({ keys: [await publicKey('a')] }) });
    const onLambda = source({ allowLoopbackHttp: false });
    await expect(resolve(onLambda.keys, issuer, 'a')).rejects.toBeInstanceOf(KeysUnavailable);
    expect(hits.get(path)).toBeUndefined();
    expect(fetchableJwksUri('http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', false)).toBe(false);
    expect(fetchableJwksUri('http://169.254.169.254/latest/meta-data', true)).toBe(false);
    expect(fetchableJwksUri('http://localhost:8080/jwks', true)).toBe(true);
    expect(fetchableJwksUri('https://user:pw@issuer.example.test/jwks', true)).toBe(false);
    expect(fetchableJwksUri('https://issuer.example.test/jwks', false)).toBe(true);
  });

  it('keeps a fresh set when a refetch for an unknown kid fails: known kids still verify', async () => {
    const route: Route = { body: JSON.stringify({ keys: [await publicKey('a')] }) };
    const { issuer } = issuerAt(route);
    const { keys } = source();
    await resolve(keys, issuer, 'a');
    route.status = 503;
    await expect(resolve(keys, issuer, 'b')).rejects.toBeInstanceOf(KeysUnavailable);
    await expect(resolve(keys, issuer, 'a')).resolves.toBeDefined();
    // Within the cooldown, the unknown kid is still "cannot be had", not "not trusted".
    await expect(resolve(keys, issuer, 'b')).rejects.toBeInstanceOf(KeysUnavailable);
  });

  it('reads max-age, and no-store as 0', () => {
    expect(maxAgeSeconds('public, max-age=600, must-revalidate')).toBe(600);
    expect(maxAgeSeconds('max-age="60"')).toBe(60);
    expect(maxAgeSeconds('no-cache')).toBe(0);
    expect(maxAgeSeconds('s-maxage=10')).toBeUndefined();
    expect(maxAgeSeconds(null)).toBeUndefined();
  });
});
