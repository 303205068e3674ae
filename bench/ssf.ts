/**
 * `npm run bench -- ssf`: how long a revocation takes to reach an SSF receiver as a signed SET, locally,
 * and how fast the transmitter signs. `bin/start.ts` (as `npm start` runs it) on its own DynamoDB Local; a
 * push receiver (RFC 8935) in this process with a stream for `session-revoked`; each user's grant revoked
 * through RFC 7009 with its refresh token, timed from the revoke's 200 to the receiver having answered 202
 * to that user's SET. The path measured is the whole local one: the table write, DynamoDB Local's stream,
 * the stream reader's poll, the publisher, the transmitter's outbox, the SET signed and stored, the push.
 * The issue's target: p99 under 2 s, like the webhook.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RevocationEvent } from '#commons/domain/events.ts';
import { SESSION_REVOKED, setBodyOf, setClaims } from '#commons/domain/ssf.ts';
import { localSigner } from '#commons/ssf/keys.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';
import { percentile, startLocalServer } from './event-latency.ts';

const ADMIN = { accessKeyId: 'LOCALADMIN', secretAccessKey: 'localadminsecret' } as const;
const TABLE = 'bench-ssf';

export interface SsfLatency {
  /** Revocations measured. */
  readonly n: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** From the same 200 to the webhook sink having the `grant.revoked` event: the part before SSF. */
  readonly eventP50Ms: number;
  readonly eventP99Ms: number;
}

/** The `sub` of a SET's user, from either subject shape the transmitter sends. */
function userOf(claims: { sub_id?: { sub?: string; user?: { sub?: string } } }): string | undefined {
  return claims.sub_id?.user?.sub ?? claims.sub_id?.sub;
}

/**
 * Revokes `n` users' grants one after the other through a fresh local server and returns the latency
 * percentiles from each revoke's 200 to the push receiver's 202 for that user's `session-revoked` SET.
 */
export async function measureSsfLatency(options: { n?: number; gapMs?: number } = {}): Promise<SsfLatency> {
  const n = options.n ?? 100;
  const gapMs = options.gapMs ?? 0;
  const acknowledged = new Map<string, number>();
  const published = new Map<string, number>();
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/webhook') {
        // The revocation event as the webhook sink gets it: where the event path ends and SSF begins.
        const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (envelope['detail-type'] === 'grant.revoked') published.set(envelope.detail.subject, Date.now());
        response.writeHead(204).end();
        return;
      }
      const payload = Buffer.concat(chunks).toString('utf8').split('.')[1] ?? '';
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      response.writeHead(202).end(() => {
        const user = userOf(claims);
        if (user !== undefined && claims.events?.[SESSION_REVOKED]) acknowledged.set(user, Date.now());
      });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ssf-'));
  const dynamo = await startDynamoDbLocal();
  let server: ChildProcess | undefined;
  try {
    await ensureTable(dynamo.endpoint, TABLE);
    const started = await startLocalServer({
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      TABLE_NAME: TABLE,
      SSF_KEY_DIR: dataDir,
      EVENTS_WEBHOOK_URL: endpoint.replace('/events', '/webhook'),
    });
    server = started.child;
    const url = started.url;
    const register = async (body: Record<string, unknown>) => {
      const created = await adminRequest(url, 'POST', '/admin/clients', ADMIN, { body });
      if (created.status !== 201) throw new Error(`client registration answered ${created.status}`);
      return created.json as { clientId: string; clientSecret: string };
    };
    const basic = (client: { clientId: string; clientSecret: string }) =>
      `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    const form = (authorization: string, body: Record<string, string>) => ({
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });

    const ssfClient = await register({ name: 'ssf bench receiver', scopes: ['ssf.manage'] });
    const issued = await fetch(
      `${url}/oauth2/token`,
      form(basic(ssfClient), { grant_type: 'client_credentials', scope: 'ssf.manage' }),
    );
    const { access_token: ssfToken } = (await issued.json()) as { access_token: string };
    const stream = await fetch(`${url}/ssf/streams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ssfToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: endpoint },
        events_requested: [SESSION_REVOKED],
      }),
    });
    if (stream.status !== 201) throw new Error(`stream creation answered ${stream.status}`);

    const app = await register({
      name: 'ssf bench app',
      grantTypes: ['client_credentials', 'refresh_token'],
      scopes: ['read'],
    });
    const users = Array.from({ length: n }, (_, i) => `bench-${i}-${randomUUID()}`);
    const refreshTokens: string[] = [];
    for (const subject of users) {
      const minted = await adminRequest(url, 'POST', '/admin/tokens', ADMIN, {
        body: { clientId: app.clientId, subject, scope: 'read', refreshToken: true },
      });
      refreshTokens.push((minted.json as { refresh_token: string }).refresh_token);
    }
    const answeredAt = new Map<string, number>();
    for (const [i, token] of refreshTokens.entries()) {
      const revoked = await fetch(`${url}/oauth2/revoke`, form(basic(app), { token }));
      await revoked.arrayBuffer();
      if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
      answeredAt.set(users[i] as string, Date.now());
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    const deadline = Date.now() + 60_000;
    while (!users.every((user) => acknowledged.has(user))) {
      if (Date.now() > deadline) throw new Error(`only ${acknowledged.size} of ${n} SETs were acknowledged`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const latencies = users.map(
      (user) => (acknowledged.get(user) ?? Number.NaN) - (answeredAt.get(user) ?? 0),
    );
    latencies.sort((a, b) => a - b);
    const toEvent = users.map((user) => (published.get(user) ?? Number.NaN) - (answeredAt.get(user) ?? 0));
    toEvent.sort((a, b) => a - b);
    return {
      n,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      maxMs: latencies.at(-1) ?? Number.NaN,
      eventP50Ms: percentile(toEvent, 0.5),
      eventP99Ms: percentile(toEvent, 0.99),
    };
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await dynamo.stop();
    receiver.closeAllConnections();
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * SETs signed per second by one process with the local key (jose, RS256, 2048-bit RSA): the CPU cost of
 * a SET, which bounds what one deliverer instance signs. Sequential, on one core.
 */
export async function measureSigning(
  options: { n?: number } = {},
): Promise<{ n: number; perSecond: number }> {
  const n = options.n ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'bench-ssf-keys-'));
  try {
    const signer = localSigner(dir);
    const now = Date.now();
    const claimsFor = (i: number) => {
      const event: RevocationEvent = {
        type: 'grant.revoked',
        id: randomUUID(),
        time: now,
        actor: { type: 'client', id: 'bench' },
        clientId: 'bench',
        grantId: `grant-${i}`,
        subject: `user-${i}`,
      };
      const body = setBodyOf(event, 'https://issuer.example');
      if (!body) throw new Error('grant.revoked made no SET');
      return setClaims(body, { receiver: 'receiver' }, 'https://issuer.example', `set-${i}`, now);
    };
    await signer.sign(claimsFor(-1)); // the key generated and imported outside the timing
    const started = performance.now();
    for (let i = 0; i < n; i++) await signer.sign(claimsFor(i));
    return { n, perSecond: Math.round(n / ((performance.now() - started) / 1000)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The heading of this benchmark's section of docs/BENCHMARKS.md (`npm run bench -- ssf` replaces it). */
export const SSF_HEADING = '## Revocation to SET';

/** The benchmark's section of docs/BENCHMARKS.md, in the shape of the other benches' `run`. */
export async function run(): Promise<string> {
  const load = loadavg()[0] ?? 0;
  const n = Number(process.env.BENCH_SSF_REVOCATIONS ?? 100);
  const burst = await measureSsfLatency({ n });
  const paced = await measureSsfLatency({ n, gapMs: 250 });
  const signing = await measureSigning({ n: Number(process.env.BENCH_SSF_SIGNATURES ?? 1000) });
  const row = (name: string, r: SsfLatency) =>
    `| ${name} | ${r.n} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.maxMs} ms | ${r.eventP50Ms} ms / ${r.eventP99Ms} ms |`;
  return `${SSF_HEADING} (local server, SSF push receiver)

From an RFC 7009 revoke of a user's refresh token (its 200) to a local push receiver (RFC 8935) having
answered 202 to that user's CAEP \`session-revoked\` SET: the table write, DynamoDB Local's stream, the
in-process stream reader's poll, the publisher, the transmitter's outbox, the SET signed (RS256, local key)
and stored in the table, the push. Back to back: the next revoke as soon as one answers (the event-latency
bench's load); paced: one revoke every 250 ms. The last column is the same 200 to the webhook sink having the
\`grant.revoked\` event, the part before SSF. Goal: p99 under 2 s.

Produced by \`npm run bench -- ssf\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; 1-minute load average ${load.toFixed(1)} at the start.

| revokes | n | p50 | p99 | max | to the event p50 / p99 |
| --- | --- | --- | --- | --- | --- |
${row('back to back', burst)}
${row('every 250 ms', paced)}

SETs signed per second by one process with the local key (jose, RS256, RSA 2048), sequentially on one core:
**${signing.perSecond.toLocaleString('en-US')}** (${signing.n} SETs). On AWS the deliverer signs through KMS
\`Sign\` (one call per SET), whose request quota for RSA keys, not this CPU cost, bounds it there.

Back to back, the SETs can queue in the local transmitter's outbox, which takes one event at a time (a
Query and a BatchGetItem for the streams, the signature, a PutItem and the wake-up's UpdateItem: five round
trips to DynamoDB Local on the same cores) while revokes arrive every few milliseconds; the paced row shows
what one revocation costs. On AWS the deliverer takes the events from SQS in batches of 10, in as many
instances as the queue needs (not measured here).
`;
}
