/**
 * `npm run bench -- cost`: docs/COST.md, the price of each operation at us-east-1 list prices, from what
 * the code really does on the local server: the DynamoDB calls each one sends and the capacity DynamoDB
 * Local reports for them (through bench/support/capacity-proxy.ts), the log lines its functions write (the
 * server's stdout in JSON mode), its functions' durations (measured here, on this machine), and the
 * events it publishes; each priced and set against its floor.
 *
 * The capacity of a set of calls comes from a function the caller may swap (`CostOptions.capacityOf`):
 * by default DynamoDB Local's own report, corrected where it bills differently from DynamoDB.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '#commons/manifest.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';
import { type CapacityProxy, type RecordedCall, startCapacityProxy } from './support/capacity-proxy.ts';
import { ADMIN, PROJECT_ROOT, startService } from './support/processes.ts';
import type { RecordedInvocation } from './support/record-invocations.ts';

// ---------------------------------------------------------------------------------------------------
// Prices: us-east-1 list prices, no free tier.

/** Every price this file uses, in dollars, with its unit as the doc states it. */
export const PRICES = {
  apiRequest: {
    dollars: 1.0 / 1e6,
    text: '$1.00 per million API Gateway HTTP API requests (first 300 million a month; up to 512 KB each)',
  },
  lambdaRequest: { dollars: 0.2 / 1e6, text: '$0.20 per million Lambda requests' },
  lambdaGbSecond: {
    dollars: 0.0000133334,
    text: '$0.0000133334 per Lambda GB-second, arm64 (first 7.5 billion GB-s a month)',
  },
  readUnit: {
    dollars: 0.125 / 1e6,
    text: '$0.125 per million DynamoDB on-demand read request units (Standard table class)',
  },
  writeUnit: {
    dollars: 0.625 / 1e6,
    text: '$0.625 per million DynamoDB on-demand write request units (Standard table class)',
  },
  logGb: {
    dollars: 0.5,
    text: '$0.50 per GB (taken as 10⁹ bytes) ingested by CloudWatch Logs (Standard log class, first 10 TB)',
  },
  event: {
    dollars: 1.0 / 1e6,
    text: '$1.00 per million EventBridge custom events (PutEvents, per 64 KB chunk)',
  },
} as const;

/** CloudWatch Logs bills each log event's UTF-8 message plus 26 bytes. */
const LOG_EVENT_OVERHEAD_BYTES = 26;

/** Memory of each function as the construct deploys it (lib/service-function.ts, lib/stream-consumers.ts). */
const MEMORY_MB: Record<string, number> = { sweeper: 512, publisher: 256 };
const DEFAULT_MEMORY_MB = 512;

// ---------------------------------------------------------------------------------------------------
// Capacity: what a set of recorded calls bills.

export interface Capacity {
  readonly read: number;
  readonly write: number;
}

/**
 * Swappable: the capacity units one operation bills, from the DynamoDB calls recorded for it (summed
 * over the samples) and its name, so another measure of the same operation (e.g. a table of units per
 * operation name, divided back by nothing: return the total for `samples` operations) can stand in.
 */
export type CapacityOf = (
  calls: readonly RecordedCall[],
  operation: OperationName,
  samples: number,
) => Capacity;

const READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/**
 * DynamoDB Local's ConsumedCapacity (table and every index it reports), corrected where DynamoDB bills
 * otherwise: a transaction bills two units per unit of its items (Local reports one; a ConditionCheck
 * bills as a write), its index writes once, as any write's; every key of a read bills at least one unit (half when eventually consistent), found or not
 * (Local bills a BatchGetItem by what it found); a Query bills at least half a unit.
 */
export const billedCapacity = (calls: readonly RecordedCall[]): Capacity => {
  let read = 0;
  let write = 0;
  for (const call of calls) {
    const local = call.consumed.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
    const minimumPerKey = call.consistent ? 1 : 0.5;
    // Indexes are written after the commit, as for any write: only the items' part bills twice.
    const indexes = call.consumed.reduce(
      (sum, entry) =>
        sum +
        Object.values(entry.GlobalSecondaryIndexes ?? {}).reduce(
          (s, index) => s + (index.CapacityUnits ?? 0),
          0,
        ),
      0,
    );
    if (call.operation === 'TransactWriteItems') write += 2 * (local - indexes) + indexes;
    else if (call.operation === 'TransactGetItems') read += 2 * local;
    else if (call.operation === 'BatchGetItem' || call.operation === 'GetItem')
      read += Math.max(local, call.keys * minimumPerKey);
    else if (call.operation === 'Query' || call.operation === 'Scan') read += Math.max(local, minimumPerKey);
    else if (READ_OPERATIONS.has(call.operation)) read += local;
    else write += local;
  }
  return { read, write };
};

/** DynamoDB Local's report as it is, for comparison. */
const localCapacity = (calls: readonly RecordedCall[]): Capacity => {
  let read = 0;
  let write = 0;
  for (const call of calls) {
    const local = call.consumed.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
    if (READ_OPERATIONS.has(call.operation)) read += local;
    else write += local;
  }
  return { read, write };
};

// ---------------------------------------------------------------------------------------------------
// Recording: what the local server did during one operation.

interface LogLine {
  readonly text: string;
  /** Its bytes as Lambda would write it (see onLambda), without the newline. */
  readonly bytes: number;
  /** The manifest function that wrote it, when the line says (Powertools' `function_name`). */
  readonly functionName?: string;
  /** Epoch ms from the line itself. */
  readonly at?: number;
}

/** What one operation did: per function, and the events delivered. */
interface Observed {
  readonly calls: readonly (RecordedCall & { functionName: string })[];
  readonly invocations: readonly RecordedInvocation[];
  readonly lines: readonly (LogLine & { functionName: string })[];
  readonly events: number;
}

class Recorder {
  readonly lines: LogLine[] = [];
  events = 0;
  #partial = '';
  #invocations: RecordedInvocation[] = [];
  #invocationBytes = 0;

  constructor(
    readonly proxy: CapacityProxy,
    readonly invocationFile: string,
  ) {}

  onOutput = (chunk: Buffer): void => {
    const text = this.#partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.lines.push(parseLine(line));
  };

  invocations(): RecordedInvocation[] {
    const size = statSync(this.invocationFile).size;
    if (size !== this.#invocationBytes) {
      this.#invocations = readFileSync(this.invocationFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as RecordedInvocation);
      this.#invocationBytes = size;
    }
    return this.#invocations;
  }

  #activity(): string {
    return `${this.proxy.calls.length}/${this.invocations().length}/${this.lines.length}/${this.events}`;
  }

  /** Resolves once nothing new happened for `quietMs`: the stream readers poll every 100 ms. */
  async quiet(quietMs = 800, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = this.#activity();
    let since = Date.now();
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = this.#activity();
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return;
    }
  }

  /** Runs `action`, waits for every function it set off to finish, and returns what they did. */
  async observe(action: () => Promise<void>): Promise<Observed> {
    await this.quiet(300);
    const mark = {
      calls: this.proxy.calls.length,
      invocations: this.invocations().length,
      lines: this.lines.length,
      events: this.events,
    };
    await action();
    await this.quiet();
    const invocations = this.invocations().slice(mark.invocations);
    // The invocation whose time span holds `at`; of several (the stream consumers overlap), the one that
    // ends first after it, as a metrics blob is written when its invocation ends.
    const owner = (at: number | undefined, fallback: string, may: (name: string) => boolean = () => true) => {
      if (at === undefined) return fallback;
      // Lines carry whole milliseconds: a millisecond of slack either side.
      const holding = invocations.filter(
        (inv) => may(inv.functionName) && at >= Math.floor(inv.start) - 1 && at <= Math.ceil(inv.end) + 1,
      );
      holding.sort((a, b) => a.end - b.end);
      return holding[0]?.functionName ?? fallback;
    };
    // A DynamoDB call belongs to a function whose manifest entry uses the table (the publisher does not).
    const usesTable = (name: string) =>
      (FUNCTIONS.find((entry) => entry.name === name)?.tableActions.length ?? 1) > 0;
    return {
      calls: this.proxy.calls
        .slice(mark.calls)
        .map((call) => ({ ...call, functionName: owner(call.at, 'unknown', usesTable) })),
      invocations,
      lines: this.lines
        .slice(mark.lines)
        .map((line) => ({ ...line, functionName: line.functionName ?? owner(line.at, 'local server') })),
      events: this.events - mark.events,
    };
  }
}

function parseLine(text: string): LogLine {
  try {
    const json = JSON.parse(text) as {
      function_name?: string;
      timestamp?: string;
      _aws?: { Timestamp?: number };
    };
    const functionName = json.function_name?.replace(/^local-/, '');
    const at = json._aws?.Timestamp ?? (json.timestamp ? Date.parse(json.timestamp) : undefined);
    return {
      text,
      bytes: onLambda(json, text),
      ...(functionName !== undefined && { functionName }),
      ...(at !== undefined && { at }),
    };
  } catch {
    return { text, bytes: Buffer.byteLength(text) };
  }
}

/**
 * The bytes of a local JSON line as Lambda writes it: without the time and the function name, which only
 * the local server's lines carry (CloudWatch Logs stamps each event, the log group names the function),
 * and with API Gateway's 16-character request id for the local server's UUID.
 */
function onLambda(json: Record<string, unknown>, text: string): number {
  if (json._aws !== undefined) return Buffer.byteLength(text);
  const { timestamp: _time, function_name: _name, correlation_id, ...rest } = json;
  const line = { ...rest, ...(correlation_id !== undefined && { correlation_id: 'JZxV3iK4IAMEJGw=' }) };
  return Buffer.byteLength(JSON.stringify(line));
}

// ---------------------------------------------------------------------------------------------------
// Operations.

export type OperationName =
  | 'client_credentials token'
  | 'grant start'
  | 'refresh'
  | 'refresh with rotation'
  | 'introspection'
  | 'access-token revoke'
  | 'grant revoke'
  | 'subject cut-off'
  | 'authorizer check';

/** What the contract needs at the least, per operation: the floor a price is set against. */
interface Floor {
  readonly apiRequests: number;
  readonly lambdaRequests: number;
  readonly read: number;
  readonly write: number;
  readonly events: number;
  readonly why: string;
}

interface OperationSpec {
  readonly name: OperationName;
  readonly label: string;
  /** Functions whose work counts (all that ran, when undefined). */
  readonly only?: readonly string[];
  /** API Gateway requests it makes (the authorizer's request belongs to the protected API). */
  readonly apiRequests: number;
  readonly routeKey?: string;
  readonly floor: Floor;
}

/** A grant of the sweep operations: its refresh token plus access tokens, 10 tokens in all. */
const GRANT_ACCESS_TOKENS = 9;
/** Grants of the subject in the cut-off operation: 5 grants of 2 tokens, 10 tokens. */
const SUBJECT_GRANTS = 5;

const SPECS: readonly OperationSpec[] = [
  {
    name: 'client_credentials token',
    label: '`client_credentials` token (`POST /oauth2/token`)',
    apiRequests: 1,
    routeKey: 'POST /oauth2/token',
    floor: { apiRequests: 1, lambdaRequests: 1, read: 0, write: 1, events: 0, why: 'the token item put' },
  },
  {
    name: 'grant start',
    label: 'grant start (`POST /admin/tokens` with a refresh token)',
    apiRequests: 1,
    routeKey: 'POST /admin/tokens',
    floor: {
      apiRequests: 1,
      lambdaRequests: 1,
      read: 1,
      write: 2,
      events: 0,
      why: 'a consistent read of the client, the access and the refresh token items put',
    },
  },
  {
    name: 'refresh',
    label: 'refresh, no rotation (`POST /oauth2/token`)',
    apiRequests: 1,
    routeKey: 'POST /oauth2/token',
    floor: {
      apiRequests: 1,
      lambdaRequests: 1,
      read: 4,
      write: 1,
      events: 0,
      why: 'the activity rule’s consistent read of the refresh token, client, grant and subject cut-off; the new access token put',
    },
  },
  {
    name: 'refresh with rotation',
    label: 'refresh with rotation (`POST /oauth2/token`)',
    apiRequests: 1,
    routeKey: 'POST /oauth2/token',
    floor: {
      apiRequests: 1,
      lambdaRequests: 1,
      read: 4,
      write: 2,
      events: 0,
      why: 'the same read; the new access token put and the conditional move of the grant’s current refresh token',
    },
  },
  {
    name: 'introspection',
    label: 'introspection of an access token of a grant with a subject (`POST /oauth2/introspect`)',
    apiRequests: 1,
    routeKey: 'POST /oauth2/introspect',
    floor: {
      apiRequests: 1,
      lambdaRequests: 1,
      read: 4,
      write: 0,
      events: 0,
      why: 'the activity rule’s consistent read of token, client, grant and subject cut-off',
    },
  },
  {
    name: 'access-token revoke',
    label: 'access-token revoke (`POST /oauth2/revoke`), events on',
    apiRequests: 1,
    routeKey: 'POST /oauth2/revoke',
    floor: {
      apiRequests: 1,
      lambdaRequests: 1,
      read: 0,
      write: 1,
      events: 1,
      why: 'the token’s tombstone (one conditional write; the token names its client); one event',
    },
  },
  {
    name: 'grant revoke',
    label: `grant revoke with its sweep and events (\`POST /oauth2/revoke\` of a refresh token; ${GRANT_ACCESS_TOKENS + 1} tokens)`,
    apiRequests: 1,
    routeKey: 'POST /oauth2/revoke',
    floor: {
      apiRequests: 1,
      lambdaRequests: 1,
      read: 1,
      write: 1 + GRANT_ACCESS_TOKENS + 1,
      events: 1,
      why: `a consistent read of the refresh token, the grant’s revocation mark, one delete per token (${GRANT_ACCESS_TOKENS + 1}); one event`,
    },
  },
  {
    name: 'subject cut-off',
    label: `subject cut-off with its sweep and events (\`DELETE /admin/subjects/{subject}/tokens\`; ${SUBJECT_GRANTS * 2} tokens)`,
    apiRequests: 1,
    routeKey: 'DELETE /admin/subjects/{subject}/tokens',
    floor: {
      apiRequests: 1,
      lambdaRequests: 1,
      read: 0,
      write: 1 + SUBJECT_GRANTS * 2,
      events: 1,
      why: `the cut-off item put, one delete per token (${SUBJECT_GRANTS * 2}); one event`,
    },
  },
  {
    name: 'authorizer check',
    label:
      'authorizer check (the `authorizer` function on an active access token, `GET /demo/whoami` locally)',
    only: ['authorizer'],
    apiRequests: 0,
    floor: {
      apiRequests: 0,
      lambdaRequests: 1,
      read: 4,
      write: 0,
      events: 0,
      why: 'the activity rule’s consistent read of four items (the API Gateway request belongs to the protected API)',
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Measuring.

/** Seconds of work per function of one operation, and everything else it consumed, averaged. */
export interface OperationCost {
  readonly spec: OperationSpec;
  readonly samples: number;
  /** Per function: invocations per operation and median billed ms per invocation. */
  readonly functions: readonly { name: string; invocations: number; medianMs: number; memoryMb: number }[];
  /** DynamoDB calls per operation, e.g. `BatchGetItem × 1`, per function. */
  readonly callSummary: readonly string[];
  readonly capacity: Capacity;
  readonly localCapacity: Capacity;
  /** Per function: log lines and bytes per operation. */
  readonly logs: readonly { name: string; lines: number; bytes: number }[];
  readonly events: number;
  /** The same operation with the publisher and its events left out (events off). */
  readonly eventsOff?: boolean;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? 0
    : sorted.length % 2
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** `Update, ConditionCheck × 3, Put`: a transaction's or batch's actions, counted. */
function actionCounts(actions: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const action of actions) counts.set(action, (counts.get(action) ?? 0) + 1);
  return [...counts].map(([action, count]) => (count > 1 ? `${action} × ${count}` : action)).join(', ');
}

/** What DynamoDB Local reported for one call: `table 5, byGrant 1`. */
function breakdown(call: RecordedCall): string {
  return call.consumed
    .flatMap((entry) => [
      `table ${entry.Table?.CapacityUnits ?? entry.CapacityUnits ?? 0}`,
      ...Object.entries(entry.GlobalSecondaryIndexes ?? {}).map(
        ([name, index]) => `${name} ${index.CapacityUnits ?? 0}`,
      ),
    ])
    .join(', ');
}

function summarise(
  spec: OperationSpec,
  observed: readonly Observed[],
  capacityOf: CapacityOf,
): OperationCost {
  const n = observed.length;
  const keep = (name: string) => spec.only === undefined || spec.only.includes(name);
  const invocations = observed.flatMap((o) => o.invocations).filter((inv) => keep(inv.functionName));
  const names = [...new Set(invocations.map((inv) => inv.functionName))];
  const functions = names.map((name) => {
    const own = invocations.filter((inv) => inv.functionName === name);
    return {
      name,
      invocations: own.length / n,
      // Lambda bills whole milliseconds.
      medianMs: Math.ceil(median(own.map((inv) => inv.end - inv.start))),
      memoryMb: MEMORY_MB[name] ?? DEFAULT_MEMORY_MB,
    };
  });
  const calls = observed.flatMap((o) => o.calls).filter((call) => keep(call.functionName));
  const counts = new Map<string, number>();
  for (const call of calls) {
    const key = `${call.functionName}: ${call.operation}${call.indexName ? ` (${call.indexName})` : ''}${call.actions.length > 0 ? ` [${actionCounts(call.actions)}]` : ''} {${breakdown(call)}}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const per = (total: number) => Math.round((total / n) * 100) / 100;
  const capacity = capacityOf(calls, spec.name, n);
  const local = localCapacity(calls);
  const lines = observed.flatMap((o) => o.lines).filter((line) => keep(line.functionName));
  const logNames = [...new Set(lines.map((line) => line.functionName))];
  return {
    spec,
    samples: n,
    functions,
    callSummary: [...counts].map(([key, count]) => `${key} × ${per(count)}`),
    capacity: { read: capacity.read / n, write: capacity.write / n },
    localCapacity: { read: local.read / n, write: local.write / n },
    logs: logNames.map((name) => {
      const own = lines.filter((line) => line.functionName === name);
      return {
        name,
        lines: own.length / n,
        bytes: own.reduce((sum, line) => sum + line.bytes + LOG_EVENT_OVERHEAD_BYTES, 0) / n,
      };
    }),
    events: spec.only ? 0 : observed.reduce((sum, o) => sum + o.events, 0) / n,
  };
}

/** API Gateway's access log line of one request, in the stage's format, with typical values. */
function accessLogBytes(routeKey: string): number {
  const sample: Record<string, string> = {
    requestId: 'Ab1Cd2Ef3Gh4Ij5=',
    requestTime: String(Date.now()),
    routeKey,
    status: '200',
    responseLatency: '25',
    integrationLatency: '23',
    integrationStatus: '200',
    responseLength: '120',
    protocol: 'HTTP/1.1',
    sourceIp: '203.0.113.10',
    iamPrincipal: routeKey.includes('/admin/') ? 'arn:aws:iam::123456789012:role/admin' : '-',
    integrationRequestId: randomUUID(),
  };
  return Buffer.byteLength(JSON.stringify(sample)) + LOG_EVENT_OVERHEAD_BYTES;
}

export interface Priced {
  readonly api: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly reads: number;
  readonly writes: number;
  readonly functionLogs: number;
  readonly accessLog: number;
  readonly events: number;
  readonly total: number;
  readonly floor: number;
}

/**
 * The functions that run only because events are on: the publisher, and the SSF deliverer, which every
 * event reaches (on AWS through the bus's rule and its queue; locally in process) even with no stream.
 */
const EVENT_FUNCTIONS: ReadonlySet<string> = new Set(['publisher', 'ssf-deliverer']);

/** Dollars per million operations, item by item, and the floor's. */
export function price(cost: OperationCost, options: { eventsOff?: boolean } = {}): Priced {
  const off = (name: string) => options.eventsOff === true && EVENT_FUNCTIONS.has(name);
  const million = 1e6;
  const functions = cost.functions.filter((f) => !off(f.name));
  const api = cost.spec.apiRequests * PRICES.apiRequest.dollars * million;
  const lambdaRequests =
    functions.reduce((sum, f) => sum + f.invocations, 0) * PRICES.lambdaRequest.dollars * million;
  const lambdaDuration =
    functions.reduce((sum, f) => sum + f.invocations * (f.medianMs / 1000) * (f.memoryMb / 1024), 0) *
    PRICES.lambdaGbSecond.dollars *
    million;
  const reads = cost.capacity.read * PRICES.readUnit.dollars * million;
  const writes = cost.capacity.write * PRICES.writeUnit.dollars * million;
  const logBytes = cost.logs.filter((l) => !off(l.name)).reduce((sum, l) => sum + l.bytes, 0);
  const functionLogs = (logBytes / 1e9) * PRICES.logGb.dollars * million;
  const accessLog =
    cost.spec.routeKey === undefined
      ? 0
      : ((cost.spec.apiRequests * accessLogBytes(cost.spec.routeKey)) / 1e9) * PRICES.logGb.dollars * million;
  const events = (options.eventsOff ? 0 : cost.events) * PRICES.event.dollars * million;
  const total = api + lambdaRequests + lambdaDuration + reads + writes + functionLogs + accessLog + events;
  const f = cost.spec.floor;
  const floor =
    (f.apiRequests * PRICES.apiRequest.dollars +
      f.lambdaRequests * PRICES.lambdaRequest.dollars +
      f.read * PRICES.readUnit.dollars +
      f.write * PRICES.writeUnit.dollars +
      (options.eventsOff ? 0 : f.events) * PRICES.event.dollars) *
    million;
  return {
    api,
    lambdaRequests,
    lambdaDuration,
    reads,
    writes,
    functionLogs,
    accessLog,
    events,
    total,
    floor,
  };
}

export interface CostOptions {
  /** Samples per operation (default 5). */
  readonly samples?: number;
  /** The capacity of a set of calls: swap in another measure of the same calls. */
  readonly capacityOf?: CapacityOf;
}

const TABLE = 'bench-cost';
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** Measures every operation on a fresh local server and returns docs/COST.md. */
export async function run(options: CostOptions = {}): Promise<string> {
  const samples = options.samples ?? Number(process.env.BENCH_COST_SAMPLES ?? 5);
  const capacityOf = options.capacityOf ?? billedCapacity;
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'bench-cost-'));
  const invocationFile = join(dir, 'invocations.jsonl');
  writeFileSync(invocationFile, '');
  const dynamo = await startDynamoDbLocal();
  const proxy = await startCapacityProxy(dynamo.endpoint);
  const recorder = new Recorder(proxy, invocationFile);
  const webhook = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      recorder.events++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  let server: Awaited<ReturnType<typeof startService>> | undefined;
  const costs: OperationCost[] = [];
  try {
    await ensureTable(dynamo.endpoint, TABLE);
    server = await startService({
      endpoint: proxy.endpoint,
      tableName: TABLE,
      streamReaders: true,
      preload: ['./bench/support/record-invocations.ts'],
      onOutput: recorder.onOutput,
      env: {
        RECORD_INVOCATIONS: invocationFile,
        EVENTS_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/events`,
        // A bus name makes the publisher log its event line at DEBUG, as on AWS (the webhook still
        // receives the events); JSON lines as Lambda writes them.
        EVENT_BUS_NAME: 'bench-cost',
        LOG_FORMAT: 'json',
        // A busy client: its item stays cached between requests (a miss adds one read).
        CLIENT_CACHE_SECONDS: '300',
      },
    });
    costs.push(...(await measureAll(server.url, recorder, samples, capacityOf)));
  } finally {
    await server?.stop();
    await proxy.close();
    await dynamo.stop();
    webhook.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return costReport(costs, {
    samples,
    minutes: (performance.now() - started) / 60_000,
    commit: codeVersion(),
  });
}

/**
 * The code measured: the last commit that changed the functions, the local server or the constructs
 * (what the figures depend on), and whether the working tree differs from it there.
 */
function codeVersion(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  try {
    const paths = ['functions', 'tools', 'lib'];
    const last = git('log', '-1', '--format=%h (%cs)', '--', ...paths);
    const dirty = git('status', '--porcelain', '--', ...paths);
    return dirty ? `${last}, with uncommitted changes` : last;
  } catch {
    return 'unknown (no git)';
  }
}

async function measureAll(
  url: string,
  recorder: Recorder,
  samples: number,
  capacityOf: CapacityOf,
): Promise<OperationCost[]> {
  const register = async (body: Record<string, unknown>) => {
    const created = await adminRequest(url, 'POST', '/admin/clients', ADMIN, { body });
    if (created.status !== 201) throw new Error(`client registration answered ${created.status}`);
    const { clientId, clientSecret } = created.json as { clientId: string; clientSecret: string };
    return {
      clientId,
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    };
  };
  const client = await register({
    name: 'cost',
    grantTypes: ['client_credentials', 'refresh_token'],
    scopes: ['read', 'write'],
  });
  const rotating = await register({
    name: 'cost rotating',
    grantTypes: ['refresh_token'],
    scopes: ['read', 'write'],
    refreshTokenRotation: true,
  });
  const post = async (authorization: string, path: string, fields: Record<string, string>) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: form(fields),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as { access_token: string; refresh_token?: string };
  };
  const startGrant = async (clientId: string, subject: string) => {
    const minted = await adminRequest(url, 'POST', '/admin/tokens', ADMIN, {
      body: { clientId, subject, scope: 'read', refreshToken: true },
    });
    if (minted.status !== 201) throw new Error(`POST /admin/tokens answered ${minted.status}`);
    return minted.json as { access_token: string; refresh_token: string };
  };
  const cc = () =>
    post(client.authorization, '/oauth2/token', { grant_type: 'client_credentials', scope: 'read' });
  const refresh = (authorization: string, token: string) =>
    post(authorization, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: token });

  const results: OperationCost[] = [];
  const measure = async (name: OperationName, prepare: () => Promise<(() => Promise<void>)[]>) => {
    const spec = SPECS.find((s) => s.name === name);
    if (!spec) throw new Error(`no operation ${name}`);
    // One untimed run first: the first call of a handler pays its lazy loading.
    const actions = await prepare();
    await recorder.quiet();
    const observed: Observed[] = [];
    for (const [i, action] of actions.entries()) {
      const seen = await recorder.observe(action);
      if (i > 0) observed.push(seen);
    }
    console.error(`cost bench: ${name}: ${observed.length} samples`);
    results.push(summarise(spec, observed, capacityOf));
  };
  const times = <T>(n: number, make: (i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: n }, (_, i) => make(i)));
  const n = samples + 1;

  await measure('client_credentials token', async () => times(n, async () => async () => void (await cc())));
  await measure('grant start', async () =>
    times(n, async (i) => async () => void (await startGrant(client.clientId, `grant-start-${i}`))),
  );
  const longGrant = await startGrant(client.clientId, 'refresher');
  await measure('refresh', async () =>
    times(n, async () => async () => void (await refresh(client.authorization, longGrant.refresh_token))),
  );
  let rotatingToken = (await startGrant(rotating.clientId, 'rotator')).refresh_token;
  await measure('refresh with rotation', async () =>
    times(n, async () => async () => {
      const answer = await refresh(rotating.authorization, rotatingToken);
      if (!answer.refresh_token) throw new Error('rotation returned no refresh token');
      rotatingToken = answer.refresh_token;
    }),
  );
  const introspected = await startGrant(client.clientId, 'introspected');
  await measure('introspection', async () =>
    times(n, async () => async () => {
      await post(client.authorization, '/oauth2/introspect', { token: introspected.access_token });
    }),
  );
  await measure('access-token revoke', async () =>
    times(n, async () => {
      const { access_token: token } = await cc();
      return async () => void (await post(client.authorization, '/oauth2/revoke', { token }));
    }),
  );
  await measure('grant revoke', async () => {
    const actions: (() => Promise<void>)[] = [];
    for (let i = 0; i < n; i++) {
      const grant = await startGrant(client.clientId, `grant-revoke-${i}`);
      // The grant start's access token plus one per refresh.
      for (let r = 1; r < GRANT_ACCESS_TOKENS; r++) await refresh(client.authorization, grant.refresh_token);
      actions.push(
        async () => void (await post(client.authorization, '/oauth2/revoke', { token: grant.refresh_token })),
      );
    }
    return actions;
  });
  await measure('subject cut-off', async () => {
    const actions: (() => Promise<void>)[] = [];
    for (let i = 0; i < n; i++) {
      const subject = `cut-off-${i}`;
      for (let g = 0; g < SUBJECT_GRANTS; g++) await startGrant(client.clientId, subject);
      actions.push(async () => {
        const answer = await adminRequest(
          url,
          'DELETE',
          `/admin/subjects/${encodeURIComponent(subject)}/tokens`,
          ADMIN,
        );
        if (answer.status >= 300) throw new Error(`subject cut-off answered ${answer.status}`);
      });
    }
    return actions;
  });
  const protectedToken = (await startGrant(client.clientId, 'demo-user')).access_token;
  await measure('authorizer check', async () =>
    times(n, async () => async () => {
      const answer = await fetch(`${url}/demo/whoami`, {
        headers: { authorization: `Bearer ${protectedToken}` },
      });
      await answer.text();
      if (answer.status !== 200) throw new Error(`/demo/whoami answered ${answer.status}`);
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------------
// The document.

const money = (dollars: number) => `$${dollars.toFixed(dollars < 1 ? 3 : 2)}`;
const units = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));
const ratio = (value: number) => `${value.toFixed(2)}x`;

/** docs/COST.md from measured operations. */
export function costReport(
  costs: readonly OperationCost[],
  context: { samples: number; minutes: number; commit: string },
): string {
  const rows: string[] = [];
  const details: string[] = [];
  const priced = new Map<OperationName, Priced>();
  const publisher = costs.find((c) => c.spec.name === 'access-token revoke');
  for (const cost of costs) {
    const p = price(cost);
    priced.set(cost.spec.name, p);
    const logBytes = cost.logs.reduce((sum, l) => sum + l.bytes, 0);
    const ms = cost.functions
      .map((f) => `${f.name} ${f.medianMs}${f.invocations !== 1 ? ` × ${units(f.invocations)}` : ''}`)
      .join(', ');
    rows.push(
      `| ${cost.spec.label} | ${units(cost.capacity.read)} | ${units(cost.capacity.write)} | ${Math.round(logBytes)} | ${ms} | ${units(cost.events)} | ${money(p.total)} | ${money(p.floor)} | **${ratio(p.total / p.floor)}** |`,
    );
    if (cost.spec.name === 'access-token revoke') {
      const off = price(cost, { eventsOff: true });
      priced.set('access-token revoke (events off)' as OperationName, off);
      const offBytes = cost.logs
        .filter((l) => !EVENT_FUNCTIONS.has(l.name))
        .reduce((sum, l) => sum + l.bytes, 0);
      const offMs = cost.functions
        .filter((f) => !EVENT_FUNCTIONS.has(f.name))
        .map((f) => `${f.name} ${f.medianMs}`)
        .join(', ');
      rows.push(
        `| access-token revoke, events off (no publisher, SSF deliverer or EventBridge) | ${units(cost.capacity.read)} | ${units(cost.capacity.write)} | ${Math.round(offBytes)} | ${offMs} | 0 | ${money(off.total)} | ${money(off.floor)} | **${ratio(off.total / off.floor)}** |`,
      );
    }
    details.push(
      `### ${cost.spec.label}

- Floor: ${cost.spec.floor.apiRequests ? 'an API Gateway request, ' : ''}a Lambda request, ${cost.spec.floor.read} RRU, ${cost.spec.floor.write} WRU${cost.spec.floor.events ? `, ${cost.spec.floor.events} event` : ''}: ${cost.spec.floor.why}.
- DynamoDB calls per operation: ${cost.callSummary.join('; ') || 'none'}. Capacity as DynamoDB Local reported it: ${units(cost.localCapacity.read)} RRU, ${units(cost.localCapacity.write)} WRU; billed: ${units(cost.capacity.read)} RRU, ${units(cost.capacity.write)} WRU.
- Functions (invocations per operation, median ms measured locally): ${cost.functions.map((f) => `${f.name} ${units(f.invocations)} × ${f.medianMs} ms at ${f.memoryMb} MB`).join(', ')}.
- Log lines per operation: ${cost.logs.map((l) => `${l.name} ${units(l.lines)} lines, ${Math.round(l.bytes)} bytes`).join('; ') || 'none'}${cost.spec.routeKey ? `; plus API Gateway's access log line, ${accessLogBytes(cost.spec.routeKey)} bytes (estimated from the stage's format)` : ''}.
- Per million: API Gateway ${money(p.api)}, Lambda requests ${money(p.lambdaRequests)}, Lambda duration ${money(p.lambdaDuration)}, DynamoDB reads ${money(p.reads)}, writes ${money(p.writes)}, function logs ${money(p.functionLogs)}, access log ${money(p.accessLog)}, EventBridge ${money(p.events)}: **${money(p.total)}**, floor ${money(p.floor)}.
`,
    );
  }
  if (publisher) {
    const own = {
      ...publisher,
      spec: {
        ...publisher.spec,
        name: 'one event' as OperationName,
        label: 'one event',
        apiRequests: 0,
        only: ['publisher'],
        floor: {
          apiRequests: 0,
          lambdaRequests: 0,
          read: 0,
          write: 0,
          events: 1,
          why: 'the EventBridge event',
        },
      },
      functions: publisher.functions.filter((f) => f.name === 'publisher'),
      logs: publisher.logs.filter((l) => l.name === 'publisher'),
      capacity: { read: 0, write: 0 },
    } as OperationCost;
    const { routeKey: _unused, ...spec } = own.spec;
    const event = price({ ...own, spec });
    const bytes = own.logs.reduce((sum, l) => sum + l.bytes, 0);
    rows.push(
      `| one event (the publisher's part of an access-token revoke) | 0 | 0 | ${Math.round(bytes)} | ${own.functions.map((f) => `${f.name} ${f.medianMs}`).join(', ')} | ${units(own.events)} | ${money(event.total)} | ${money(event.floor)} | **${ratio(event.total / event.floor)}** |`,
    );
  }
  const revokeOff = priced.get('access-token revoke (events off)' as OperationName);
  const ccPrice = priced.get('client_credentials token');
  const goal = (p: Priced | undefined, target: number) =>
    p
      ? `${ratio(p.total / p.floor)} (${money(p.total)} against ${money(p.floor)}): goal ≤ ${target}x **${p.total / p.floor <= target ? 'met' : 'not met'}**`
      : 'not measured';
  return `# Cost per operation

Generated by \`npm run bench -- cost\` (bench/cost.ts) on ${new Date().toISOString().slice(0, 10)} from the code of commit **${context.commit}**, the last to change \`functions/\`, \`tools/\` or \`lib/\`: Node ${process.version}, ${context.minutes.toFixed(1)} minutes, ${context.samples} samples per operation after one untimed run. Rerun it after any change to the request paths; the figures are only as current as that commit.

Everything below is measured on the local server (\`bin/start.ts\`, its stream readers on, \`LOG_FORMAT=json\`) against DynamoDB Local, then priced; nothing was measured on AWS. **Lambda durations are this machine's** (a shared 2-core box, the handler's own time from the local server's invocation wrapper, median per function), not Lambda's: read them as relative sizes.

## Summary

Per million operations, at the us-east-1 list prices below. RRU and WRU are read and write request units per operation; log bytes are the lines the functions write per operation (CloudWatch's 26-byte overhead per line included, API Gateway's access log line not included here but priced); ms is the median duration per invocation of each function that ran (× invocations per operation when not 1); events are EventBridge events. Floor: the API Gateway request, one Lambda request, the single-item operations the contract needs and the events it promises (each operation's section says which).

| operation | RRU | WRU | log bytes | Lambda ms (local) | events | per million | floor | ratio |
| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Goals of issue 14: access-token revoke with events off ${goal(revokeOff, 1.15)}; \`client_credentials\` token ${goal(ccPrice, 1.2)}.

## Prices (us-east-1, list, no free tier)

${Object.values(PRICES)
  .map((p) => `- ${p.text}`)
  .join('\n')}
- DynamoDB Streams reads by Lambda's event source mappings: free. X-Ray (active tracing, default sampling of the first request each second then 5 %, $5.00 per million traces recorded) is left out: at most $0.25 per million requests at scale, and a sampling rule sets it.

## How each figure is measured

- **DynamoDB units**: every call the functions send passes through a recording proxy (bench/support/capacity-proxy.ts) that asks DynamoDB Local for \`ReturnConsumedCapacity: INDEXES\` and records its answer: the table and each index an item lands in. Where DynamoDB Local bills differently from DynamoDB, the documented rule is applied on top: a transaction bills 2 units per unit of its items (a \`ConditionCheck\` as a write) and its index writes once (DynamoDB prepares and commits each item of a transaction, two writes; the indexes follow the commit as for any write: our reading of DynamoDB's capacity documentation, not a measured bill); a read bills at least 1 unit per key when consistent (0.5 when not), found or not; a \`Query\` at least 0.5. Each operation's section gives both. The client's item is cached (\`CLIENT_CACHE_SECONDS=300\`, a busy client); a cache miss adds 1 RRU. The measure is a swappable function (\`CostOptions.capacityOf\` in bench/cost.ts).
- **Log bytes**: the server's stdout during the operation, each JSON line counted as Lambda writes it (less the local server's \`timestamp\` and \`function_name\`, with API Gateway's 16-character request id for the local UUID; no X-Ray trace id: most requests are not sampled), each line attributed to the function that wrote it (its \`function_name\`, or the invocation whose time span holds the line's timestamp, for metric blobs), with the publisher's event line at DEBUG as on AWS (\`EVENT_BUS_NAME\` set). API Gateway's access log line is estimated from the stage's format (\`ACCESS_LOG_FIELDS\`) with typical values. No Lambda platform lines: the construct sets the system log level to WARN.
- **Lambda duration**: each handler's time inside the local server's invocation wrapper (bench/support/record-invocations.ts), whole milliseconds, at each function's deployed memory (512 MB; the publisher 256 MB), arm64.
- **Lambda requests**: the invocations the operation set off here, stream consumers included. Locally a stream consumer gets one record per invocation at this trickle; at load, batches of up to 10 (sweeper) and 100 (publisher) records share one request.
- **Events**: the EventBridge events the publisher delivered (to a local webhook standing in for the bus).

## Per operation

${details.join('\n')}`;
}
