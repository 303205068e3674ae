/**
 * An RFC 8935 push receiver for the SSF tests: records every SET POSTed to it (with its headers and receive
 * time) and answers with whatever status the test's policy says for that SET (202 by default), with an
 * RFC 8935 error body on 400. Plus the receiver-side helpers: an SSF client's token, its calls, and SET
 * verification with jose against the transmitter's `jwks_uri`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import {
  baseUrl,
  call,
  clientCredentials,
  type HttpResponse,
  type RegisteredClient,
  registerClient,
} from './helpers.ts';

export interface PushedSet {
  readonly receivedAt: number;
  readonly jwt: string;
  readonly claims: JWTPayload & Record<string, unknown>;
  readonly headers: IncomingHttpHeaders;
  /** The status the receiver answered. */
  readonly status: number;
}

export interface PushReceiver {
  readonly url: string;
  readonly received: PushedSet[];
  /** Decides the answer per SET (202 by default). */
  policy: (claims: Record<string, unknown>) => number;
  /** Waits until `match` holds for the SETs received so far; returns them. */
  waitFor(match: (sets: PushedSet[]) => boolean, timeoutMs?: number): Promise<PushedSet[]>;
  close(): Promise<void>;
}

/** Starts a push receiver on a free loopback port. */
export async function startPushReceiver(): Promise<PushReceiver> {
  const received: PushedSet[] = [];
  const receiver = {
    url: '',
    received,
    policy: (_claims: Record<string, unknown>) => 202,
    async waitFor(match: (sets: PushedSet[]) => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!match(received)) {
        if (Date.now() > deadline)
          throw new Error(`the expected SETs never came (${received.length} received)`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return received;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const jwt = Buffer.concat(chunks).toString('utf8');
      let claims: PushedSet['claims'];
      try {
        claims = decodeJwt(jwt) as PushedSet['claims'];
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ err: 'invalid_request', description: 'not a JWT' }));
        return;
      }
      const status = receiver.policy(claims);
      received.push({ receivedAt: Date.now(), jwt, claims, headers: request.headers, status });
      if (status === 400) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ err: 'invalid_request', description: 'refused by the test' }));
        return;
      }
      response.writeHead(status);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  return receiver;
}

/** A receiver: a confidential client allowed the SSF scopes, and its `ssf.manage` token. */
export interface SsfReceiver {
  readonly client: RegisteredClient;
  readonly token: string;
}

export async function ssfReceiver(scope = 'ssf.manage'): Promise<SsfReceiver> {
  const client = await registerClient({ name: 'ssf receiver', scopes: ['ssf.manage', 'ssf.read', 'read'] });
  return { client, token: (await clientCredentials(client, scope)).access_token };
}

/** An SSF management call with the receiver's bearer token and a JSON body. */
export function ssfCall(token: string, method: string, path: string, body?: unknown): Promise<HttpResponse> {
  return call(method, path, {
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

const jwks = createRemoteJWKSet(new URL('/ssf/jwks', baseUrl));

/**
 * Verifies a SET as a receiver must (jose, the key from the served `jwks_uri` by `kid`): RS256,
 * `typ: secevent+jwt`, the service's `iss`, the receiver's `aud`. Returns its claims.
 */
export async function verifySet(jwt: string, audience: string): Promise<Record<string, unknown>> {
  const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
    issuer: baseUrl,
    audience,
    typ: 'secevent+jwt',
    algorithms: ['RS256'],
  });
  if (typeof protectedHeader.kid !== 'string') throw new Error('SET without kid');
  return payload as Record<string, unknown>;
}

export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** The user `sub` a SET is about (complex or iss_sub subject), if any. */
export function userOf(claims: Record<string, unknown>): string | undefined {
  const subject = claims.sub_id as { format?: string; sub?: string; user?: { sub?: string } } | undefined;
  return subject?.format === 'complex' ? subject.user?.sub : subject?.sub;
}
