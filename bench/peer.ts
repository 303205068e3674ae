/**
 * `npm run bench -- peer`: the service against node-oidc-provider 9 (bench/peer/server.ts, on the same
 * DynamoDB Local through bench/peer/adapter.ts), route by route, under the same bounded load from
 * autocannon on loopback: requests per second, p99 latency, and CPU per request of each server process
 * and of DynamoDB Local (from /proc). The two servers take turns, run by run (service, peer, then peer,
 * service on the next repeat), so both see the same machine; only ratios of neighbouring runs are
 * trusted on a shared machine.
 */
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { formatToken } from '#commons/domain/token-format.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';
import { ADMIN, type ChildServer, processCpuMs, startChild, startService } from './support/processes.ts';

const SERVICE_TABLE = 'bench-peer-service';
const PEER_TABLE = 'bench-peer-oidc';
const SUBJECT = 'user-42';

type Side = 'service' | 'peer';
type RouteName = 'client_credentials' | 'refresh' | 'revoke' | 'introspect' | 'revoke unknown';
const ROUTES: readonly RouteName[] = [
  'client_credentials',
  'refresh',
  'introspect',
  'revoke',
  'revoke unknown',
];
const ROUTE_LABELS: Record<RouteName, string> = {
  client_credentials: '`client_credentials` token',
  refresh: 'refresh (no rotation)',
  introspect: 'introspect an access token of a grant',
  revoke: 'revoke an access token',
  'revoke unknown': 'revoke an unknown token',
};

/** One server under test, and what its requests need. */
interface Target {
  readonly side: Side;
  readonly server: ChildServer;
  readonly authorization: string;
  readonly paths: { readonly token: string; readonly revoke: string; readonly introspect: string };
  readonly refreshToken: string;
  /** An active access token of the refresh token's grant (subject included). */
  introspectToken: string;
  /** A well-formed token this server never issued. */
  readonly unknownToken: () => string;
  /** Access tokens of the last client_credentials run, each revoked at most once. */
  pool: string[];
}

export interface Run {
  readonly side: Side;
  readonly route: RouteName;
  readonly connections: number;
  readonly repeat: number;
  readonly requests: number;
  readonly failures: number;
  readonly rps: number;
  readonly p99Ms: number;
  readonly serverCpuMsPerRequest: number;
  readonly dynamoCpuMsPerRequest: number;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function startServiceTarget(endpoint: string): Promise<Target> {
  await ensureTable(endpoint, SERVICE_TABLE);
  // JSON log lines and metrics blobs, as the functions write them on Lambda.
  const server = await startService({ endpoint, tableName: SERVICE_TABLE, env: { LOG_FORMAT: 'json' } });
  const created = await adminRequest(server.url, 'POST', '/admin/clients', ADMIN, {
    body: {
      name: 'peer bench',
      grantTypes: ['client_credentials', 'refresh_token'],
      scopes: ['read', 'write'],
    },
  });
  const { clientId, clientSecret } = created.json as { clientId: string; clientSecret: string };
  const minted = await adminRequest(server.url, 'POST', '/admin/tokens', ADMIN, {
    body: { clientId, subject: SUBJECT, scope: 'read write', refreshToken: true },
  });
  const { refresh_token: refreshToken } = minted.json as { refresh_token?: string };
  if (!refreshToken) throw new Error(`the service minted no refresh token: ${minted.status}`);
  return {
    side: 'service',
    server,
    authorization: basic(clientId, clientSecret),
    paths: { token: '/oauth2/token', revoke: '/oauth2/revoke', introspect: '/oauth2/introspect' },
    refreshToken,
    introspectToken: '',
    unknownToken: () => formatToken({ kind: 'access', clientId }),
    pool: [],
  };
}

async function startPeerTarget(endpoint: string): Promise<Target> {
  const started = await startChild({
    script: 'bench/peer/server.ts',
    env: { DYNAMODB_ENDPOINT: endpoint, PEER_TABLE },
    ready: (output) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('{"url"'));
      return line
        ? (JSON.parse(line) as { url: string; clientId: string; clientSecret: string; refreshToken: string })
        : undefined;
    },
  });
  const { url, clientId, clientSecret, refreshToken } = started.value;
  return {
    side: 'peer',
    server: { url, child: started.child, pid: started.child.pid ?? 0, stop: started.stop },
    authorization: basic(clientId, clientSecret),
    paths: { token: '/token', revoke: '/token/revocation', introspect: '/token/introspection' },
    refreshToken,
    introspectToken: '',
    // node-oidc-provider's opaque tokens: 43 base64url characters.
    unknownToken: () => formatToken({ kind: 'access', clientId }).slice(-43),
    pool: [],
  };
}

/** One POST the way a client sends it. */
async function post(target: Target, path: string, body: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${target.server.url}${path}`, {
    method: 'POST',
    headers: { authorization: target.authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** The request autocannon repeats for `route`; revoke takes a fresh token from the pool each time. */
function requestOf(target: Target, route: RouteName): autocannon.Request {
  const headers = {
    authorization: target.authorization,
    'content-type': 'application/x-www-form-urlencoded',
  };
  const base = { method: 'POST' as const, headers };
  switch (route) {
    case 'client_credentials':
      return {
        ...base,
        path: target.paths.token,
        body: form({ grant_type: 'client_credentials', scope: 'read' }),
        onResponse: (status, body) => {
          if (status === 200) target.pool.push((JSON.parse(body) as { access_token: string }).access_token);
        },
      };
    case 'refresh':
      return {
        ...base,
        path: target.paths.token,
        body: form({ grant_type: 'refresh_token', refresh_token: target.refreshToken }),
      };
    case 'introspect':
      return {
        ...base,
        path: target.paths.introspect,
        body: form({ token: target.introspectToken, token_type_hint: 'access_token' }),
      };
    case 'revoke':
      return {
        ...base,
        path: target.paths.revoke,
        setupRequest: (request) => ({
          ...request,
          body: form({ token: target.pool.pop() ?? target.unknownToken(), token_type_hint: 'access_token' }),
        }),
      };
    case 'revoke unknown':
      return {
        ...base,
        path: target.paths.revoke,
        setupRequest: (request) => ({
          ...request,
          body: form({ token: target.unknownToken(), token_type_hint: 'access_token' }),
        }),
      };
  }
}

/**
 * One timed run. Revoke runs send exactly as many requests as the pool has tokens (each token is revoked
 * once: a second revoke would be the unknown-token path); the others run for `seconds`.
 */
async function measure(
  target: Target,
  route: RouteName,
  connections: number,
  seconds: number,
  dynamoPid: number,
): Promise<Omit<Run, 'repeat'>> {
  if (route === 'client_credentials') target.pool = [];
  const amount = route === 'revoke' ? target.pool.length : undefined;
  if (amount === 0) throw new Error(`${target.side}: no tokens to revoke`);
  const serverBefore = processCpuMs(target.server.pid);
  const dynamoBefore = processCpuMs(dynamoPid);
  const result = await autocannon({
    url: target.server.url,
    // autocannon refuses more connections than requests.
    connections: Math.min(connections, amount ?? connections),
    ...(amount !== undefined ? { amount } : { duration: seconds }),
    requests: [requestOf(target, route)],
    timeout: 10,
  });
  const serverCpu = processCpuMs(target.server.pid) - serverBefore;
  const dynamoCpu = processCpuMs(dynamoPid) - dynamoBefore;
  const ok = result['2xx'];
  const failures = result.non2xx + result.errors + result.timeouts;
  return {
    side: target.side,
    route,
    connections,
    requests: ok,
    failures,
    rps: ok / result.duration,
    p99Ms: result.latency.p99,
    serverCpuMsPerRequest: serverCpu / Math.max(1, ok + result.non2xx),
    dynamoCpuMsPerRequest: dynamoCpu / Math.max(1, ok + result.non2xx),
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const range = (values: readonly number[]) => `${fixed(Math.min(...values))}-${fixed(Math.max(...values))}`;

export interface PeerOptions {
  readonly seconds?: number;
  readonly repeats?: number;
  readonly connections?: readonly number[];
}

/** Runs the comparison and returns its Markdown section (also printed by bench/run.ts). */
export async function run(options: PeerOptions = {}): Promise<string> {
  const seconds = options.seconds ?? Number(process.env.BENCH_PEER_SECONDS ?? 2);
  const repeats = options.repeats ?? Number(process.env.BENCH_PEER_REPEATS ?? 3);
  const connectionCounts = options.connections ?? [16, 64];
  const started = performance.now();
  const load = loadavg()[0] ?? 0;
  const dynamo = await startDynamoDbLocal();
  const dynamoPid = dynamo.process.pid ?? 0;
  const targets: Target[] = [];
  const runs: Run[] = [];
  try {
    targets.push(await startServiceTarget(dynamo.endpoint), await startPeerTarget(dynamo.endpoint));
    for (const target of targets) {
      const refreshed = await post(
        target,
        target.paths.token,
        form({ grant_type: 'refresh_token', refresh_token: target.refreshToken }),
      );
      const accessToken = (refreshed.json as { access_token?: string } | undefined)?.access_token;
      if (refreshed.status !== 200 || !accessToken)
        throw new Error(`${target.side}: refresh answered ${refreshed.status}`);
      target.introspectToken = accessToken;
      const introspected = await post(
        target,
        target.paths.introspect,
        form({ token: accessToken, token_type_hint: 'access_token' }),
      );
      if ((introspected.json as { active?: boolean; sub?: string }).sub !== SUBJECT)
        throw new Error(
          `${target.side}: introspection of the refreshed token: ${JSON.stringify(introspected.json)}`,
        );
    }
    // Warm-up, untimed: JIT of both servers and of DynamoDB Local, client caches, connection pools.
    console.error('peer bench: warming up');
    for (const route of ROUTES) {
      for (const target of targets) {
        const warm = await measure(target, route, 16, Math.min(1, seconds), dynamoPid);
        console.error(
          `peer bench: warm-up ${route}, ${target.side}: ${fixed(warm.rps, 0)} req/s, ${warm.failures} failed`,
        );
      }
    }
    for (let repeat = 1; repeat <= repeats; repeat++) {
      for (const connections of connectionCounts) {
        for (const route of ROUTES) {
          const order = repeat % 2 === 1 ? targets : [...targets].reverse();
          for (const target of order) {
            const measured = await measure(target, route, connections, seconds, dynamoPid);
            runs.push({ ...measured, repeat });
            console.error(
              `peer bench: repeat ${repeat}, ${connections} connections, ${route}, ${target.side}: ${fixed(measured.rps, 0)} req/s, p99 ${measured.p99Ms} ms, CPU ${fixed(measured.serverCpuMsPerRequest)} ms/req, ${measured.failures} failed`,
            );
          }
        }
      }
    }
  } finally {
    for (const target of targets) await target.server.stop();
    await dynamo.stop();
  }
  const minutes = (performance.now() - started) / 60_000;
  return peerReport(runs, { seconds, repeats, minutes, load, endLoad: loadavg()[0] ?? 0 });
}

/** The Markdown section of a set of runs: one row per route and connection count. */
export function peerReport(
  runs: readonly Run[],
  context: { seconds: number; repeats: number; minutes: number; load: number; endLoad: number },
): string {
  const rows: string[] = [];
  const rpsRatios: number[] = [];
  const cpuRatios: number[] = [];
  const connectionCounts = [...new Set(runs.map((run) => run.connections))];
  for (const connections of connectionCounts) {
    for (const route of ROUTES) {
      const of = (side: Side) =>
        runs.filter((run) => run.side === side && run.route === route && run.connections === connections);
      const service = of('service');
      const peer = of('peer');
      if (service.length === 0 || peer.length === 0) continue;
      // Per repeat: the two neighbouring runs of that repeat.
      const pairs = service.map((s) => [s, peer.find((p) => p.repeat === s.repeat)] as const);
      const rpsRatio = pairs.map(([s, p]) => (p ? s.rps / p.rps : Number.NaN));
      const cpuRatio = pairs.map(([s, p]) =>
        p ? s.serverCpuMsPerRequest / p.serverCpuMsPerRequest : Number.NaN,
      );
      rpsRatios.push(median(rpsRatio));
      cpuRatios.push(median(cpuRatio));
      const m = (list: readonly Run[], pick: (run: Run) => number) => median(list.map(pick));
      const failed = (list: readonly Run[]) => list.reduce((sum, run) => sum + run.failures, 0);
      rows.push(
        `| ${ROUTE_LABELS[route]} | ${connections} | ${fixed(
          m(service, (r) => r.rps),
          0,
        )} | ${fixed(
          m(peer, (r) => r.rps),
          0,
        )} | **${fixed(median(rpsRatio))}x** (${range(rpsRatio)}) | ${fixed(
          m(service, (r) => r.p99Ms),
          0,
        )} | ${fixed(
          m(peer, (r) => r.p99Ms),
          0,
        )} | ${fixed(m(service, (r) => r.serverCpuMsPerRequest))} | ${fixed(m(peer, (r) => r.serverCpuMsPerRequest))} | **${fixed(median(cpuRatio))}x** (${range(cpuRatio)}) | ${fixed(m(service, (r) => r.dynamoCpuMsPerRequest))} | ${fixed(m(peer, (r) => r.dynamoCpuMsPerRequest))} | ${failed(service)} / ${failed(peer)} |`,
      );
    }
  }
  const slowest = Math.min(...rpsRatios);
  const costliest = Math.max(...cpuRatios);
  return `## Against node-oidc-provider (DynamoDB Local, autocannon)

Produced by \`npm run bench -- peer\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${context.minutes.toFixed(1)} minutes; 1-minute load average ${context.load.toFixed(1)} at the start, ${context.endLoad.toFixed(1)} at the end (a shared machine: trust the ratios of neighbouring runs, not absolute numbers).

The service's local server (\`bin/start.ts\` as \`npm start\` runs it, with \`LOG_FORMAT=json\` so that it writes the JSON lines and metrics blobs the functions write on Lambda, stream readers off, and, as \`npm start\` runs, the X-Ray SDK in manual mode since nothing is traced outside Lambda (on Lambda, with active tracing, its automatic mode keeps an async hook over every promise, which cost about 15% of the CPU per request of a \`client_credentials\` token or a refresh when measured here): on AWS the sweeper and the publisher run in functions of their own) and node-oidc-provider 9 (\`bench/peer/server.ts\`: opaque access tokens, one \`client_secret_basic\` client, \`client_credentials\`, introspection and revocation on, \`rotateRefreshToken: false\`, its models on DynamoDB through the adapter in \`bench/peer/adapter.ts\`, consistent reads, sparse indexes), each in its own Node process, on one DynamoDB Local. Load from autocannon in the benchmark's process to loopback: ${context.seconds} s per run (revokes: one request per token of the preceding \`client_credentials\` run, so every revoke finds an active token), after an untimed warm-up of every route; ${context.repeats} repeats, the two servers taking turns run by run (service first on odd repeats, the peer first on even ones). CPU per request: the server process's user + system time over the run (from /proc, 10 ms resolution) over its answered requests; DynamoDB Local's the same. A failed request is a non-2xx answer, an error or a timeout (10 s); the service answers 503 with \`Retry-After\` when a DynamoDB call misses its deadline, which a loaded machine makes happen. Medians over the repeats; each ratio is per repeat (service over peer, of the two neighbouring runs), median and range.

Request by request: the refresh token is of a grant with a subject, made in setup (the service: \`POST /admin/tokens\`; the peer: a \`Grant\` and a \`RefreshToken\` saved through the provider's model classes, as its authorization code flow would leave them); introspection is of an access token that refresh issued (so both read the token and its grant); revoked access tokens are \`client_credentials\` tokens, because node-oidc-provider revokes every token of a grant when one of the grant's access tokens is revoked; the unknown token is well-formed for each server (the service's with a valid checksum, so it is looked up) and was never issued. Every request sends \`token_type_hint=access_token\` where it takes a token.

| route | connections | service req/s | peer req/s | req/s service/peer | service p99 ms | peer p99 ms | service CPU ms/req | peer CPU ms/req | CPU service/peer | DynamoDB Local CPU ms/req, service | the same, peer | failed, service / peer |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Slowest route against the peer: **${fixed(slowest)}x** its requests per second (issue 14's goal: at least 1.3x on every route); highest CPU per request against the peer: **${fixed(costliest)}x** (goal: at most 1x).
`;
}
