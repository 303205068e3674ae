/**
 * How long a revocation takes to become an event at a consumer, locally: `bin/start.ts` (as `npm start`
 * runs it) on its own DynamoDB Local with EVENTS_WEBHOOK_URL pointing at a webhook in this process; each
 * RFC 7009 revoke of an access token is timed from its 200 to the webhook having the event's body. The
 * path measured is the whole local one: the table write, DynamoDB Local's stream, the stream reader's
 * poll, the publisher handler and the POST. The contract's target: p99 under 2 s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { adminRequest } from '#tools/admin-client.ts';
import { ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

const ADMIN = { accessKeyId: 'LOCALADMIN', secretAccessKey: 'localadminsecret' } as const;
const TABLE = 'bench-events';
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface EventLatency {
  /** Revocations measured. */
  readonly n: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The value at rank ceil(p * n) of the sorted values (nearest-rank percentile). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] ?? Number.NaN;
}

/** A token's id as events carry it: SHA-256, base64url. */
const tokenId = (token: string) => createHash('sha256').update(token, 'utf8').digest('base64url');

/** Starts the local server as `npm start` does and resolves with its URL once it listens. */
export function startLocalServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${seen}`)), 60_000);
    const listen = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/localhost:\d+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        // Drained from here on, or a full pipe would stall the server's logging.
        child.stdout?.off('data', listen);
        child.stdout?.resume();
        resolve({ url: match[1], child });
      }
    };
    child.stdout?.on('data', listen);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${seen}`));
    });
  });
}

/**
 * Revokes `n` access tokens one after the other through `POST /oauth2/revoke` of a fresh local server
 * and returns the latency percentiles from each 200 to the webhook receiving that token's
 * `token.revoked` event.
 */
export async function measureEventLatency(options: { n?: number } = {}): Promise<EventLatency> {
  const n = options.n ?? 100;
  const received = new Map<string, number>();
  let onReceive: (() => void) | undefined;
  const webhook = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = Date.now();
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        'detail-type': string;
        detail: { tokenId?: string };
      };
      if (envelope['detail-type'] === 'token.revoked' && envelope.detail.tokenId !== undefined) {
        received.set(envelope.detail.tokenId, at);
        onReceive?.();
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/events`;
  const dynamo = await startDynamoDbLocal();
  let server: ChildProcess | undefined;
  try {
    await ensureTable(dynamo.endpoint, TABLE);
    const started = await startLocalServer({
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      TABLE_NAME: TABLE,
      EVENTS_WEBHOOK_URL: webhookUrl,
    });
    server = started.child;
    const url = started.url;
    const registered = await adminRequest(url, 'POST', '/admin/clients', ADMIN, {
      body: { name: 'event latency bench', grantTypes: ['client_credentials'] },
    });
    const { clientId, clientSecret } = registered.json as { clientId: string; clientSecret: string };
    const authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const form = (body: Record<string, string>) => ({
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) {
      const issued = await fetch(`${url}/oauth2/token`, form({ grant_type: 'client_credentials' }));
      tokens.push(((await issued.json()) as { access_token: string }).access_token);
    }
    const answeredAt = new Map<string, number>();
    for (const token of tokens) {
      const revoked = await fetch(`${url}/oauth2/revoke`, form({ token }));
      await revoked.arrayBuffer();
      if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
      answeredAt.set(tokenId(token), Date.now());
    }
    const deadline = Date.now() + 30_000;
    while (![...answeredAt.keys()].every((id) => received.has(id))) {
      if (Date.now() > deadline) throw new Error(`only ${received.size} of ${n} events reached the webhook`);
      await new Promise<void>((resolve) => {
        onReceive = resolve;
        setTimeout(resolve, 100);
      });
    }
    const latencies = [...answeredAt].map(([id, at]) => (received.get(id) ?? Number.NaN) - at);
    latencies.sort((a, b) => a - b);
    return { n, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await dynamo.stop();
    webhook.closeAllConnections();
    webhook.close();
  }
}

/** The benchmark's section of docs/BENCHMARKS.md, in the shape of the other benches' `run`. */
export async function run(): Promise<string> {
  const { n, p50Ms, p99Ms } = await measureEventLatency({
    n: Number(process.env.BENCH_EVENT_REVOCATIONS ?? 100),
  });
  return `## Revocation to event (local server, DynamoDB Local stream, webhook)

From an RFC 7009 revoke's 200 to the webhook (EVENTS_WEBHOOK_URL) having its \`token.revoked\` event, over
${n} revocations one after the other: the table write, DynamoDB Local's stream, the in-process stream
reader's poll, the publisher and the POST. Contract target: p99 under 2 s.

| revocations | p50 | p99 |
| --- | --- | --- |
| ${n} | ${p50Ms} ms | ${p99Ms} ms |
`;
}
