/**
 * Log bytes per request as on Lambda: the route handlers run in this process, against DynamoDB Local,
 * with a Lambda-shaped context (a generated function name as CDK makes it, a request id, an X-Ray trace
 * id in the environment, API Gateway's short request id), and every byte they write to stdout and stderr
 * is counted, line by line: log lines by message, embedded-metric blobs apart. What CloudWatch Logs
 * ingests beyond that (Lambda's own START/END/REPORT lines) is off: the construct sets the system log
 * level to WARN.
 *
 * `npm run bench -- log-bytes` prints the table and splices it into docs/BENCHMARKS.md;
 * `BENCH_SHOW_LINES=1` also prints each line measured (on stderr).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ENV } from '#commons/config.ts';
import { newClient } from '#commons/domain/clients.ts';
import type { HttpApiEvent, HttpApiResult } from '#commons/http/handler.ts';
import { functionEntry, type HttpFunction, isHttp, routeKey } from '#commons/manifest.ts';
import { ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

type Handler = (event: HttpApiEvent, context: Context) => Promise<HttpApiResult>;

/** What one invocation wrote: each line's kind (a log line's message, or `metrics`) and its bytes. */
interface Written {
  lines: { kind: string; bytes: number }[];
  total: number;
}

/** Runs `fn` with stdout and stderr captured, as Lambda's log stream would receive them. */
async function capturing(fn: () => Promise<unknown>): Promise<Written> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let text = '';
  const capture = ((chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const lines = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      // Lambda counts the newline too.
      const bytes = Buffer.byteLength(line) + 1;
      if (process.env.BENCH_SHOW_LINES) err.call(process.stderr, `${line}\n`);
      try {
        const record = JSON.parse(line) as { _aws?: unknown; message?: string; level?: string };
        return { kind: record._aws ? 'metrics' : `${record.level} ${record.message}`, bytes };
      } catch {
        return { kind: 'text', bytes };
      }
    });
  return { lines, total: lines.reduce((sum, line) => sum + line.bytes, 0) };
}

/** A CDK-generated function name: `<stack>-<construct id><hash>-<suffix>`, 64 characters at most. */
const lambdaName = (name: string) =>
  `TokenRevocationStack-${name.replace(/(^|-)(\w)/g, (_, _dash, c: string) => c.toUpperCase())}Function4E2A9B1C-AbCdEfGh1234`.slice(
    0,
    64,
  );

function lambdaContext(name: string): Context {
  const functionName = lambdaName(name);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function httpEvent(route: HttpFunction, headers: Record<string, string>, body: string): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: route.trigger.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: {
        method: 'POST',
        path: route.trigger.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: 'bench',
      },
      // API Gateway HTTP API request ids are 16 characters.
      requestId: `${randomUUID().replaceAll('-', '').slice(0, 15)}=`,
      routeKey: routeKey(route),
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

/** The request ids, route and body a request of `name` needs, and its handler. */
async function route(name: string): Promise<{ entry: HttpFunction; handler: Handler }> {
  const entry = functionEntry(name);
  if (!isHttp(entry)) throw new Error(`${name} has no http trigger`);
  const module = (await import(`../functions/${name}/index.ts`)) as { handler: Handler };
  return { entry, handler: module.handler };
}

/** Measures the log bytes of a client_credentials token, an introspection and an access-token revoke. */
export async function run(): Promise<string> {
  const dynamo = await startDynamoDbLocal();
  const table = 'log-bytes-bench';
  try {
    await ensureTable(dynamo.endpoint, table);
    Object.assign(process.env, {
      [ENV.tableName]: table,
      [ENV.dynamoDbEndpoint]: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      POWERTOOLS_TRACE_ENABLED: 'false',
      // Powertools counts a cold start only in an on-demand execution environment.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    });
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    // Loaded only now: the store's modules load Powertools, whose instances read the environment above
    // (a cold start counts only with AWS_LAMBDA_INITIALIZATION_TYPE=on-demand) when they are made.
    const [{ createDynamoClient }, { DynamoStore }] = await Promise.all([
      import('#commons/store/client.ts'),
      import('#commons/store/dynamodb.ts'),
    ]);
    const store = new DynamoStore({
      tableName: table,
      client: createDynamoClient({ endpoint: dynamo.endpoint }),
    });
    const { client, secret } = newClient({ name: 'bench', grantTypes: ['client_credentials'] }, Date.now());
    if (!secret) throw new Error('a confidential client has a secret');
    await store.createClient(client);
    const encode = (value: string) => encodeURIComponent(value);
    const authorization = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(secret)}`).toString('base64')}`;

    const token = await route('token');
    const introspect = await route('introspect');
    const revoke = await route('revoke');
    const call = async (r: { entry: HttpFunction; handler: Handler }, body: string) => {
      let result: HttpApiResult | undefined;
      const written = await capturing(async () => {
        result = await r.handler(httpEvent(r.entry, { authorization }, body), lambdaContext(r.entry.name));
      });
      if (result?.statusCode !== 200) throw new Error(`${r.entry.name} answered ${result?.statusCode}`);
      return { written, body: String(result.body) };
    };
    const issue = async () => {
      const answer = await call(token, 'grant_type=client_credentials');
      return {
        written: answer.written,
        token: (JSON.parse(answer.body) as { access_token: string }).access_token,
      };
    };

    const rows: [string, Written][] = [];
    // The process's first invocation is its cold start (the logger and metrics are one per process).
    const cold = await issue();
    rows.push(['client_credentials token, cold start', cold.written]);
    const warm = await issue();
    rows.push(['client_credentials token', warm.written]);
    rows.push(['introspection', (await call(introspect, `token=${warm.token}`)).written]);
    rows.push(['access-token revoke', (await call(revoke, `token=${warm.token}`)).written]);
    rows.push([
      'revoke of an unknown token',
      (await call(revoke, `token=${(await issue()).token}x`)).written,
    ]);
    // X-Ray samples the first request each second and 5 % of the rest: most requests are not sampled.
    const sampled = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = sampled?.replace('Sampled=1', 'Sampled=0');
    const unsampled = await issue();
    rows.push(['client_credentials token, not sampled', unsampled.written]);
    rows.push(['introspection, not sampled', (await call(introspect, `token=${unsampled.token}`)).written]);
    rows.push(['access-token revoke, not sampled', (await call(revoke, `token=${unsampled.token}`)).written]);
    process.env._X_AMZN_TRACE_ID = sampled;

    const table_ = rows.map(
      ([what, written]) =>
        `| ${what} | ${written.lines.length} | ${written.lines.map((l) => `${l.kind} ${l.bytes}`).join('; ')} | ${written.total} |`,
    );
    return [
      '## Log bytes per request (as on Lambda, DynamoDB Local)',
      '',
      'The route handlers in one process with a Lambda-shaped context, every byte they write to stdout and',
      'stderr counted (`npm run bench -- log-bytes`). Rows are X-Ray-sampled requests (their lines carry the',
      "trace id) unless marked; the first is the process's cold start. Lambda's own START/END/REPORT lines",
      'are off (system log level WARN).',
      '',
      '| Request | Lines | Each line (kind, bytes with its newline) | Bytes |',
      '| --- | ---: | --- | ---: |',
      ...table_,
    ].join('\n');
  } finally {
    await dynamo.stop();
  }
}
