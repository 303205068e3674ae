/**
 * Cold-start proxy for the Lambda functions: builds every route's handler the way the construct does
 * (same esbuild settings), once with the AWS SDK bundled and once with it external (resolved at run time,
 * as from the Lambda runtime's own copy), then times `import()` of each bundle in fresh `node` processes.
 * Module init is what a cold start adds on top of the runtime's own boot, so it is the part the bundling
 * choice can change.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Context } from 'aws-lambda';
import * as esbuild from 'esbuild';
import { esbuildOptions } from '#bundling/handlers.ts';
import { BUNDLE_AWS_SDK, BUNDLING } from '#bundling/options.ts';
import { ENV } from '#commons/config.ts';
import { newClient } from '#commons/domain/clients.ts';
import { clientCredentialsGrant } from '#commons/domain/tokens.ts';
import type { HttpApiEvent, HttpApiResult } from '#commons/http/handler.ts';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { DEFAULT_MEMORY_MB, handlerEntry, PROJECT_ROOT, RUNTIME } from '#lib/service-function.ts';
import { ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';

/** Fresh processes per bundle and variant; the median is reported. */
const RUNS = Number(process.env.BENCH_COLD_START_RUNS ?? 11);
/** Warm invocations of the bundled revoke handler, for the duration the cost estimate uses. */
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 300);
/**
 * Inside node_modules so that externals resolve against the project's installed SDK, as they resolve
 * against /var/runtime/node_modules on Lambda.
 */
const OUT_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'cold-start-bench');
/** What aws-cdk-lib marks external when the SDK is not bundled (with sdkV3ExcludeSmithyPackages on). */
const SDK_EXTERNALS = ['@aws-sdk/*', '@smithy/*'];

type Variant = 'bundled' | 'external';

/**
 * The construct's settings without its esbuild arguments and bundling hooks: how a plain SDK handler
 * would be bundled.
 */
const PLAIN_BUNDLING: nodejs.BundlingOptions = {
  ...BUNDLING,
  esbuildArgs: undefined,
  commandHooks: undefined,
};

/** The reference handler every function's init is compared with. */
const BARE_ENTRY = path.join(PROJECT_ROOT, 'bench', 'bare-handler.ts');

interface Build {
  readonly name: string;
  readonly variant: Variant;
  readonly file: string;
  readonly bytes: number;
  readonly mapBytes: number;
  /** Bytes of the output that came from @aws-sdk/* and @smithy/* sources. */
  readonly sdkBytes: number;
}

async function build(
  name: string,
  entry: string,
  variant: Variant,
  bundling: nodejs.BundlingOptions = BUNDLING,
): Promise<Build> {
  const outfile = path.join(OUT_DIR, variant, name, 'index.mjs');
  const result = await esbuild.build({
    ...esbuildOptions(bundling),
    entryPoints: [entry],
    absWorkingDir: PROJECT_ROOT,
    external: variant === 'external' ? SDK_EXTERNALS : [],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  // The construct's after-bundling commands, run as local bundling runs them (bash, in the project root).
  for (const command of bundling.commandHooks?.afterBundling(PROJECT_ROOT, path.dirname(outfile)) ?? []) {
    execFileSync('bash', ['-c', command], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  }
  const output = result.metafile.outputs[path.relative(PROJECT_ROOT, outfile)];
  const sdkBytes = Object.entries(output?.inputs ?? {})
    .filter(([input]) => /node_modules\/@(aws-sdk|smithy)\//.test(input))
    .reduce((sum, [, info]) => sum + info.bytesInOutput, 0);
  return {
    name,
    variant,
    file: outfile,
    bytes: fs.statSync(outfile).size,
    mapBytes: fs.statSync(`${outfile}.map`).size,
    sdkBytes,
  };
}

/**
 * What Lambda sets for a function: the Powertools tracer (and the X-Ray SDK's Lambda mode) switch on
 * only inside Lambda, so without these the cost of tracing would be left out of the measurement. Every
 * invocation is sampled (the worst case); segments go to an X-Ray daemon address nobody listens on.
 */
function lambdaEnvironment(bundle: string): Record<string, string> {
  return {
    AWS_EXECUTION_ENV: `AWS_Lambda_${RUNTIME.name}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: path.dirname(bundle),
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
  };
}

/** One cold import in a new process, as the deployed function runs it (source maps on); milliseconds. */
function importOnce(file: string, sourceMaps: boolean): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const child = spawnSync(
    process.execPath,
    [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script],
    {
      env: {
        PATH: process.env.PATH,
        [ENV.tableName]: 'cold-start-bench',
        AWS_REGION: 'us-east-1',
        NODE_ENV: 'production',
        ...lambdaEnvironment(file),
      },
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
  return Number(child.stdout);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Timing {
  readonly median: number;
  /** The least disturbed run: on a busy machine the closest to the intrinsic cost. */
  readonly min: number;
}

/** Interleaves the cases run by run so that machine noise hits all of them alike. */
function measure(cases: readonly { file: string; sourceMaps: boolean }[]): Timing[] {
  const samples = cases.map(() => [] as number[]);
  for (let run = 0; run < RUNS; run++) {
    for (const [i, c] of cases.entries()) samples[i]?.push(importOnce(c.file, c.sourceMaps));
  }
  return samples.map((values) => ({ median: median(values), min: Math.min(...values) }));
}

type Handler = (event: HttpApiEvent, context: Context) => Promise<HttpApiResult>;

interface WarmRevoke {
  /** DynamoDB operations one revoke of an access token sends, by X-Amz-Target operation name. */
  readonly calls: Record<string, number>;
  readonly median: number;
  readonly p90: number;
  /** Bytes the handler writes to stdout (its log lines) per revoke. */
  readonly logBytes: number;
}

/**
 * A counting HTTP proxy in front of DynamoDB Local: the operations a handler really sends, read from the
 * wire (X-Amz-Target), whatever the code path.
 */
async function countingProxy(target: string) {
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    calls.push(
      String(req.headers['x-amz-target'] ?? '?')
        .split('.')
        .pop() ?? '?',
    );
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, calls, close: () => server.close() };
}

/** Imports a fresh instance of a handler bundle configured for one table and endpoint. */
async function loadHandler(file: string, table: string, endpoint: string): Promise<Handler> {
  // The bundle reads its configuration once at load, as on Lambda; the query string forces a new instance.
  process.env[ENV.tableName] = table;
  process.env[ENV.dynamoDbEndpoint] = endpoint;
  const url = `${pathToFileURL(file).href}?endpoint=${encodeURIComponent(endpoint)}`;
  return ((await import(url)) as { handler: Handler }).handler;
}

/** Runs `fn` with stdout captured; returns its result and the bytes written. */
async function capturingStdout<T>(fn: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  const write = process.stdout.write;
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += Buffer.byteLength(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    return { value: await fn(), bytes };
  } finally {
    process.stdout.write = write;
  }
}

/**
 * Warm revokes of access tokens through the bundled revoke handler against DynamoDB Local: the wall
 * time Lambda would bill (minus the network to DynamoDB, which is local here), the operations it sends
 * and the log bytes it writes.
 */
async function warmRevoke(bundle: string): Promise<WarmRevoke> {
  const dynamo = await startDynamoDbLocal();
  const proxy = await countingProxy(dynamo.endpoint);
  const saved = { table: process.env[ENV.tableName], endpoint: process.env[ENV.dynamoDbEndpoint] };
  const lambda = lambdaEnvironment(bundle);
  const savedLambda = Object.fromEntries(Object.keys(lambda).map((name) => [name, process.env[name]]));
  try {
    const table = 'cold-start-bench';
    await ensureTable(dynamo.endpoint, table);
    const store = new DynamoStore({
      tableName: table,
      client: createDynamoClient({ endpoint: dynamo.endpoint }),
    });
    const { client, secret } = newClient({ name: 'bench', grantTypes: ['client_credentials'] }, Date.now());
    if (!secret) throw new Error('a confidential client has a secret');
    await store.createClient(client);
    const encode = (value: string) => encodeURIComponent(value);
    const authorization = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(secret)}`).toString('base64')}`;
    const route = HTTP_FUNCTIONS.find((r) => r.name === 'revoke');
    if (!route) throw new Error('no revoke route');

    // A token as the token route issues it (the domain's client_credentials grant, without HTTP).
    const issue = async (): Promise<string> =>
      (await clientCredentialsGrant(store, Date.now, client)).response.access_token;
    const event = (raw: string): HttpApiEvent => ({
      version: '2.0',
      routeKey: routeKey(route),
      rawPath: route.trigger.path,
      rawQueryString: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      body: `token=${raw}&token_type_hint=access_token`,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'bench',
        domainName: 'bench',
        domainPrefix: 'bench',
        http: {
          method: 'POST',
          path: route.trigger.path,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'bench',
        },
        requestId: 'bench',
        routeKey: routeKey(route),
        stage: '$default',
        time: '',
        timeEpoch: 0,
      },
    });
    const revokeOnce = async (handler: Handler, raw: string) => {
      const result = await handler(event(raw), {} as Context);
      if (result.statusCode !== 200) throw new Error(`revoke answered ${result.statusCode}: ${result.body}`);
    };

    // The handler bundles load as on Lambda, tracing on (the bench's own store above was built without).
    Object.assign(process.env, lambda);

    // Operations, through the counting proxy (after one warm-up call: the first one reads no differently).
    const counted = await loadHandler(bundle, table, proxy.endpoint);
    await capturingStdout(async () => revokeOnce(counted, await issue()));
    const raw = await issue();
    proxy.calls.length = 0;
    const { bytes } = await capturingStdout(() => revokeOnce(counted, raw));
    const calls: Record<string, number> = {};
    for (const call of proxy.calls) calls[call] = (calls[call] ?? 0) + 1;

    // Durations, straight to DynamoDB Local.
    const handler = await loadHandler(bundle, table, dynamo.endpoint);
    const tokens: string[] = [];
    for (let i = 0; i < WARM_RUNS + 20; i++) tokens.push(await issue());
    const durations: number[] = [];
    await capturingStdout(async () => {
      for (const [i, token] of tokens.entries()) {
        const start = performance.now();
        await revokeOnce(handler, token);
        if (i >= 20) durations.push(performance.now() - start);
      }
    });
    const sorted = [...durations].sort((a, b) => a - b);
    return {
      calls,
      median: median(durations),
      p90: sorted[Math.floor(sorted.length * 0.9)] ?? Number.NaN,
      logBytes: bytes,
    };
  } finally {
    proxy.close();
    await dynamo.stop();
    for (const [name, value] of [
      [ENV.tableName, saved.table],
      [ENV.dynamoDbEndpoint, saved.endpoint],
      ...Object.entries(savedLambda),
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const timing = (t: Timing) => `${ms(t.median)} (min ${ms(t.min)})`;

/** Runs the benchmark and returns its markdown section. */
export async function run(): Promise<string> {
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  const handlers = [...new Set(HTTP_FUNCTIONS.map((route) => route.name))].sort();
  const aliased = Object.keys(BUNDLING.esbuildArgs ?? {}).length > 0;
  // The reference: a plain SDK handler as anyone would bundle it, and (when the construct adds esbuild
  // arguments) the same handler with the construct's exact settings, to show what those arguments buy.
  const bare = await build('bare', BARE_ENTRY, 'bundled', PLAIN_BUNDLING);
  const bareAliased = aliased ? await build('bare-construct-settings', BARE_ENTRY, 'bundled') : undefined;
  const builds: { bundled: Build; external: Build }[] = [];
  for (const handler of handlers) {
    builds.push({
      bundled: await build(handler, handlerEntry(handler), 'bundled'),
      external: await build(handler, handlerEntry(handler), 'external'),
    });
  }
  // One interleaved series for everything, so every ratio to the bare handler is side by side.
  const references = [bare, ...(bareAliased ? [bareAliased] : [])];
  const timings = measure([
    ...references.map((b) => ({ file: b.file, sourceMaps: true })),
    ...builds.flatMap(({ bundled, external }) => [
      { file: bundled.file, sourceMaps: true },
      { file: external.file, sourceMaps: true },
    ]),
  ]);
  const at = (i: number): Timing => {
    const t = timings[i];
    if (!t) throw new Error('no timing');
    return t;
  };
  const bareTiming = at(0);
  const ratio = (t: Timing) => `${(t.median / bareTiming.median).toFixed(2)}x`;
  const rows: string[] = [];
  const medians = { bundled: [] as number[], external: [] as number[] };
  const referenceRows = references.map((b, i) => {
    const label = i === 0 ? 'bare SDK handler (reference)' : "bare SDK handler, construct's settings";
    return `| ${label} | ${kb(b.bytes)} (SDK ${kb(b.sdkBytes)}) | | ${timing(at(i))} | ${ratio(at(i))} | |`;
  });
  for (const [i, { bundled, external }] of builds.entries()) {
    const b = at(references.length + 2 * i);
    const e = at(references.length + 2 * i + 1);
    medians.bundled.push(b.median);
    medians.external.push(e.median);
    rows.push(
      `| ${bundled.name} | ${kb(bundled.bytes)} (SDK ${kb(bundled.sdkBytes)}) | ${kb(external.bytes)} | ` +
        `${timing(b)} | **${ratio(b)}** | ${timing(e)} |`,
    );
  }
  // The deployed functions run with --enable-source-maps; this shows what that flag costs at init.
  const probe = builds.find(({ bundled }) => bundled.name === 'revoke')?.bundled;
  if (!probe) throw new Error('no revoke build');
  const [withMaps, withoutMaps] = measure([
    { file: probe.file, sourceMaps: true },
    { file: probe.file, sourceMaps: false },
  ]);
  if (!withMaps || !withoutMaps) throw new Error('no timing');

  const warm = await warmRevoke(probe.file);
  const calls = Object.entries(warm.calls)
    .map(([operation, count]) => `${operation} × ${count}`)
    .join(', ');

  const bundledMean = medians.bundled.reduce((a, b) => a + b, 0) / handlers.length;
  const externalMean = medians.external.reduce((a, b) => a + b, 0) / handlers.length;
  const faster = bundledMean <= externalMean ? 'bundled' : 'external';
  const largest = Math.max(...builds.map(({ bundled }) => bundled.bytes));
  return [
    '## Cold start: module init against a bare SDK handler; AWS SDK bundled vs external',
    '',
    `Each handler built with the construct's esbuild settings (ESM, ${BUNDLING.target}, minified, source maps` +
      `${aliased ? `, esbuild arguments ${JSON.stringify(BUNDLING.esbuildArgs)}` : ''}` +
      `${BUNDLING.commandHooks ? ', then its after-bundling commands (source map cut to our own sources)' : ''}), ` +
      `then imported in a fresh \`node ${process.version}\` process with \`--enable-source-maps\` and ` +
      `Lambda's environment variables (the X-Ray tracer switches on at init only there) as deployed, ${RUNS} times per bundle, all bundles interleaved run by run; median of the in-process ` +
      '`import()` time. The reference is `bench/bare-handler.ts` (a DynamoDB client and a Document client at ' +
      'module scope, one GetItem per call), bundled with the same settings minus esbuild arguments and ' +
      'hooks, i.e. as ' +
      'a plain SDK handler with the default credential chain; "x bare" is a function\'s median over its median. ' +
      '"External" leaves `@aws-sdk/*` and `@smithy/*` to be resolved at run time from node_modules, as the ' +
      'Lambda runtime resolves them from its own copy. This machine is not a Lambda sandbox (whose init CPU ' +
      'share depends on memory), so compare the columns, not the absolute numbers.',
    '',
    '| Function | Bundle, SDK bundled | Bundle, SDK external | Init, SDK bundled | x bare | Init, SDK external |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...referenceRows,
    ...rows,
    `| **mean of medians** | largest ${kb(largest)} | | **${ms(bundledMean)}** | ` +
      `**${(bundledMean / bareTiming.median).toFixed(2)}x** | **${ms(externalMean)}** |`,
    '',
    `Source maps (revoke, SDK bundled, .map ${kb(probe.mapBytes)}): init ${timing(withMaps)} with ` +
      `\`--enable-source-maps\`, ${timing(withoutMaps)} without.`,
    '',
    `### Warm revoke (input to the cost estimate in README.md)`,
    '',
    `${WARM_RUNS} revokes of access tokens through the bundled revoke handler, in process with Lambda's ` +
      'environment variables (X-Ray tracing on, every invocation sampled), against DynamoDB ' +
      `Local on this machine: median ${ms(warm.median)}, p90 ${ms(warm.p90)}. DynamoDB operations per revoke, ` +
      `counted on the wire: ${calls}. Log output per revoke: ${warm.logBytes} bytes. ` +
      `Deployed memory: ${DEFAULT_MEMORY_MB} MB.`,
    '',
    `Faster here: **${faster}** (${ms(Math.abs(bundledMean - externalMean))} per cold start). ` +
      `The construct deploys with the SDK **${BUNDLE_AWS_SDK ? 'bundled' : 'external'}** ` +
      '(`BUNDLE_AWS_SDK` in bundling/options.ts).',
    '',
  ].join('\n');
}

/** `npx tsx bench/cold-start.ts`: this benchmark alone, printed (docs/BENCHMARKS.md is left alone). */
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await run());
}
