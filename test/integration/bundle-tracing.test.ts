/**
 * The deployed bundles, traced as on Lambda. Each handler is built with the construct's own esbuild
 * settings (its aliases replace parts of the AWS SDK and the X-Ray SDK with stubs that throw if they ever
 * run: bundling/) and run in a fresh Node process with the environment Lambda gives a function with
 * active tracing, against the suite's DynamoDB Local, while a UDP socket stands in for the X-Ray daemon.
 * What the daemon receives must be the trace the console would show: the handler's subsegment under
 * Lambda's, and one DynamoDB subsegment per call with its operation and table.
 */
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions } from '#bundling/handlers.ts';
import { BUNDLING, CREDENTIAL_PROVIDER_ALIAS } from '#bundling/options.ts';
import { ENV } from '#commons/config.ts';
import type { HttpApiEvent, HttpApiResult } from '#commons/http/handler.ts';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import { handlerEntry, PROJECT_ROOT, RUNTIME } from '#lib/service-function.ts';
import {
  basic,
  clientCredentials,
  dynamoEndpoint,
  type RegisteredClient,
  recordSecrets,
  registerClient,
  tableName,
} from '#test/support/helpers.ts';

/** One X-Ray segment document, as the SDK sends it to the daemon. */
interface SegmentDocument {
  id: string;
  name: string;
  trace_id: string;
  parent_id?: string;
  type?: string;
  namespace?: string;
  error?: boolean;
  fault?: boolean;
  aws?: { operation?: string; table_name?: string; region?: string; request_id?: string };
  http?: { response?: { status?: number } };
}

interface Invocation {
  /** `_X_AMZN_TRACE_ID` for this invocation, as the Lambda runtime sets it before calling the handler. */
  traceHeader: string;
  event: HttpApiEvent;
}

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-tracing-'));
const daemon = dgram.createSocket('udp4');
const received: SegmentDocument[] = [];
/** The source files each bundle was built from. */
const bundledInputs = new Map<string, string[]>();

beforeAll(async () => {
  daemon.on('message', (message) => {
    // "{format, version}\n{document}", one document per datagram.
    const [, body] = message.toString('utf8').split('\n');
    if (body) received.push(JSON.parse(body) as SegmentDocument);
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
});

afterAll(() => {
  daemon.close();
  fs.rmSync(outDir, { recursive: true, force: true });
});

/**
 * Builds a function's handler exactly as the construct's esbuild settings do (or with other settings);
 * returns the bundle.
 */
async function bundle(name: string, bundling = BUNDLING, variant = 'deployed'): Promise<string> {
  const outfile = path.join(outDir, variant, name, 'index.mjs');
  const result = await esbuild.build({
    ...esbuildOptions(bundling),
    entryPoints: [handlerEntry(name)],
    absWorkingDir: PROJECT_ROOT,
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  bundledInputs.set(outfile, Object.keys(result.metafile.inputs));
  return outfile;
}

/** A fresh trace header: Root and Parent as Lambda makes them, sampled. */
function traceHeader(): string {
  const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
  const seconds = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${seconds}-${hex(12)};Parent=${hex(8)};Sampled=1`;
}

/** DynamoDB operations on one table, whose subsegments X-Ray gives a `table_name`. */
const SINGLE_TABLE = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query']);

const field = (header: string, name: string) => new RegExp(`${name}=([^;]+)`).exec(header)?.[1];

/**
 * Loads a bundle in a new process with Lambda's environment (module init included, as a cold start) and
 * invokes its handler once per invocation, in order. Resolves with the results and the process's stderr.
 */
function invokeBundle(
  file: string,
  name: string,
  invocations: Invocation[],
  env: Record<string, string> = {},
): Promise<{ results: HttpApiResult[]; stderr: string }> {
  const script = `
    const invocations = JSON.parse(process.env.INVOCATIONS);
    const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)});
    const results = [];
    for (const [i, { traceHeader, event }] of invocations.entries()) {
      process.env._X_AMZN_TRACE_ID = traceHeader;
      const context = {
        functionName: ${JSON.stringify(name)}, functionVersion: '$LATEST', awsRequestId: 'request-' + i,
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:${name}', memoryLimitInMB: '512',
        getRemainingTimeInMillis: () => 15000,
      };
      results.push(await handler(event, context));
    }
    process.stderr.write('RESULTS ' + JSON.stringify(results) + '\\n');
  `;
  const { port } = daemon.address() as AddressInfo;
  const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH,
      INVOCATIONS: JSON.stringify(invocations),
      [ENV.tableName]: tableName,
      [ENV.dynamoDbEndpoint]: dynamoEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: `AWS_Lambda_${RUNTIME.name}`,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: path.dirname(file),
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: invocations[0]?.traceHeader ?? '',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_SERVICE_NAME: 'token-revocation',
      // The function's log lines are not what this test reads.
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stderr.split('\n').find((l) => l.startsWith('RESULTS '));
      if (code !== 0 || !line) reject(new Error(`bundle ${name} exited with ${code}:\n${stderr}`));
      else resolve({ results: JSON.parse(line.slice('RESULTS '.length)) as HttpApiResult[], stderr });
    });
  });
}

/** An API Gateway payload 2.0 form POST to a function's route. */
function formEvent(name: string, form: Record<string, string>, authorization: string): HttpApiEvent {
  const entry = HTTP_FUNCTIONS.find((f) => f.name === name);
  if (!entry) throw new Error(`${name} has no HTTP trigger`);
  return {
    version: '2.0',
    routeKey: routeKey(entry),
    rawPath: entry.trigger.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(form).toString(),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bundle-tracing',
      domainName: 'bundle-tracing',
      domainPrefix: 'bundle-tracing',
      http: {
        method: entry.trigger.method,
        path: entry.trigger.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bundle-tracing',
      },
      requestId: `bundle-tracing-${Math.random()}`,
      routeKey: routeKey(entry),
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

/** Waits until the daemon holds `count` documents of a trace (UDP arrives after the process may exit). */
async function documentsOf(traceId: string, count: number): Promise<SegmentDocument[]> {
  const of = () => received.filter((d) => d.trace_id === traceId);
  for (let i = 0; i < 100 && of().length < count; i++) await new Promise((r) => setTimeout(r, 20));
  return of();
}

/** The handler's subsegment (`## index.handler`) and the DynamoDB subsegments under it. */
async function traceOf(header: string, dynamoCalls: number) {
  const root = field(header, 'Root') ?? '';
  const documents = await documentsOf(root, dynamoCalls + 1);
  const handler = documents.find((d) => d.name === '## index.handler');
  const dynamo = documents.filter((d) => d.name === 'DynamoDB');
  return { documents, handler, dynamo };
}

describe('bundled handlers traced as on Lambda', () => {
  let client: RegisteredClient;
  beforeAll(async () => {
    client = await registerClient();
  });

  it('revoke: the handler under Lambda, each DynamoDB call under the handler with operation and table; trace ids follow each invocation', async () => {
    const file = await bundle('revoke');
    const authorization = basic(client.clientId, client.clientSecret);
    const tokens = [await clientCredentials(client), await clientCredentials(client)];
    const invocations = tokens.map((t) => ({
      traceHeader: traceHeader(),
      event: formEvent('revoke', { token: t.access_token }, authorization),
    }));
    // What the aliases leave out is not in the bundle (the stubs are, and throw if they run).
    expect(
      bundledInputs
        .get(file)
        ?.filter((input) =>
          /middleware\/sampling|mw_utils|aws_whitelist|patchers\/(aws|aws3|http|promise)_p|event-streams\/|mnemonist|emitter-listener\/|shimmer|semver/.test(
            input,
          ),
        ),
    ).toEqual([]);
    expect(bundledInputs.get(file)).toContain('bundling/xray-sdk-core.ts');

    const { results, stderr } = await invokeBundle(file, 'revoke', invocations);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(stderr).not.toMatch(/not bundled/);

    for (const [i, { traceHeader: header }] of invocations.entries()) {
      // Authenticate the client (read once, then from the client cache), then the token's tombstone, one
      // conditional UpdateItem: its format names its client, so the caller's own access token needs no read.
      const operations = i === 0 ? ['GetItem', 'UpdateItem'] : ['UpdateItem'];
      const { documents, handler, dynamo } = await traceOf(header, operations.length + 1);
      expect(handler).toMatchObject({ type: 'subsegment', parent_id: field(header, 'Parent') });
      expect(dynamo.map((d) => d.aws?.operation)).toEqual(operations);
      for (const call of dynamo) {
        expect(call).toMatchObject({
          type: 'subsegment',
          namespace: 'aws',
          parent_id: handler?.id,
          aws: { region: 'us-east-1', request_id: expect.any(String) },
          http: { response: { status: 200 } },
        });
        expect(call.error ?? false).toBe(false);
        // X-Ray's allow-list records the table of single-table operations.
        if (SINGLE_TABLE.has(call.aws?.operation ?? '')) expect(call.aws?.table_name).toBe(tableName);
      }
      // Nothing else: no HTTP subsegments beside the DynamoDB client's own (captureHTTPsRequests off).
      expect(documents).toHaveLength(dynamo.length + 1);
    }
  });

  it('token: a write is traced the same way, and the response is not recorded', async () => {
    const file = await bundle('token');
    const invocation = {
      traceHeader: traceHeader(),
      event: formEvent(
        'token',
        { grant_type: 'client_credentials' },
        basic(client.clientId, client.clientSecret),
      ),
    };
    const { results } = await invokeBundle(file, 'token', [invocation]);
    expect(results[0]?.statusCode).toBe(200);
    recordSecrets(JSON.parse(results[0]?.body ?? '{}'));

    const { documents, handler, dynamo } = await traceOf(invocation.traceHeader, 2);
    expect(handler).toMatchObject({ parent_id: field(invocation.traceHeader, 'Parent') });
    expect(dynamo.length).toBeGreaterThanOrEqual(2);
    expect(dynamo.every((d) => d.parent_id === handler?.id)).toBe(true);
    // Read the client, then write the token (a plain conditional put: see DynamoStore.putAccessToken).
    expect(dynamo.map((d) => d.aws?.operation)).toEqual(['GetItem', 'PutItem']);
    expect(dynamo[0]?.aws?.table_name).toBe(tableName);
    const accessToken = (JSON.parse(results[0]?.body ?? '{}') as { access_token?: string }).access_token;
    expect(accessToken).toBeTruthy();
    expect(JSON.stringify(documents)).not.toContain(accessToken);
  });

  it('revoke: the same trace as with the whole X-Ray SDK and AWS SDK, the stubs left out', async () => {
    // Only the credential alias (which leaves the X-Ray SDK untouched): the X-Ray SDK's own entry, the real
    // event-stream codec, endpoint cache and emitter-listener.
    const whole = { ...BUNDLING, esbuildArgs: { '--alias': [CREDENTIAL_PROVIDER_ALIAS] } };
    const files = { deployed: await bundle('revoke'), whole: await bundle('revoke', whole, 'whole') };
    const authorization = basic(client.clientId, client.clientSecret);
    const shapes: Record<string, unknown> = {};
    for (const [variant, file] of Object.entries(files)) {
      // Two invocations: the second one's trace data replaces the first one's in the facade segment.
      const invocations = [];
      for (let i = 0; i < 2; i++) {
        const token = await clientCredentials(client);
        invocations.push({
          traceHeader: traceHeader(),
          event: formEvent('revoke', { token: token.access_token }, authorization),
        });
      }
      const { results } = await invokeBundle(file, 'revoke', invocations);
      expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
      shapes[variant] = await Promise.all(
        invocations.map(async ({ traceHeader: header }) =>
          shape((await traceOf(header, 3)).documents, field(header, 'Parent')),
        ),
      );
    }
    expect(shapes.deployed).toEqual(shapes.whole);
    expect((shapes.deployed as unknown[][])[1]).toContainEqual(
      expect.objectContaining({ name: 'DynamoDB', parent: '## index.handler' }),
    );
  });

  it('revoke: the same trace when DynamoDB answers an error (a table that does not exist)', async () => {
    const whole = { ...BUNDLING, esbuildArgs: { '--alias': [CREDENTIAL_PROVIDER_ALIAS] } };
    const files = { deployed: await bundle('revoke'), whole: await bundle('revoke', whole, 'whole') };
    const authorization = basic(client.clientId, client.clientSecret);
    const shapes: Record<string, unknown> = {};
    for (const [variant, file] of Object.entries(files)) {
      const invocation = {
        traceHeader: traceHeader(),
        event: formEvent('revoke', { token: 'a'.repeat(43) }, authorization),
      };
      const { results } = await invokeBundle(file, 'revoke', [invocation], {
        [ENV.tableName]: 'no-such-table',
      });
      expect(results[0]?.statusCode).toBe(500);
      const { documents, dynamo } = await traceOf(invocation.traceHeader, 1);
      expect(dynamo[0]).toMatchObject({
        aws: { operation: 'GetItem', table_name: 'no-such-table' },
        error: true,
      });
      shapes[variant] = shape(documents, field(invocation.traceHeader, 'Parent'));
    }
    expect(shapes.deployed).toEqual(shapes.whole);
  });
});

/**
 * What a trace says, without what differs from run to run (ids, times, request ids): each document's
 * fields and its parent by name, sorted.
 */
function shape(documents: SegmentDocument[], lambdaParent: string | undefined) {
  const names = new Map(documents.map((d) => [d.id, d.name]));
  return documents
    .map(({ id: _id, trace_id: _trace, parent_id, aws, ...rest }) => {
      const { request_id: _request, ...awsFields } = aws ?? {};
      const { start_time: _start, end_time: _end, cause, ...fields } = rest as Record<string, unknown>;
      // Exceptions by what they say; their stack frames are positions in two different bundles.
      const exceptions = (cause as { exceptions?: Record<string, unknown>[] } | undefined)?.exceptions?.map(
        ({ message, type, remote }) => ({ message, type, remote }),
      );
      return {
        ...fields,
        ...(exceptions && { exceptions }),
        aws: awsFields,
        parent: parent_id === lambdaParent ? 'Lambda' : names.get(parent_id ?? ''),
      };
    })
    .map((d) => JSON.stringify(d, Object.keys(d).sort()))
    .sort()
    .map((d) => JSON.parse(d) as Record<string, unknown>);
}
