import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { routeScopesFromEnv } from '#commons/authorizer/route-scopes.ts';
import { ENV, readConfig } from '#commons/config.ts';
import { setLogSink } from '#commons/observability.ts';
import { SSF_ENV } from '#commons/ssf/config.ts';
import { DEMO_PATH } from './demo-whoami.ts';
import { localDependencies, openLocalTable, openSsfStore } from './dependencies.ts';
import { type DynamoDbLocal, ensureTable, localAccessKey, startDynamoDbLocal } from './dynamodb-local.ts';
import { initPhase, scopeLambdaContexts } from './invocations.ts';
import { humanSink } from './pretty.ts';
import { createLocalServer } from './server.ts';
import type { AdminCredentials } from './sigv4.ts';
import { startLocalSsf } from './ssf.ts';
import { type StreamReaders, startStreamReaders, streamConsumers } from './stream-reader.ts';

/** Settings of `npm start`, from the environment and the command line. */
export interface LocalSettings {
  port: number;
  /** Interface to listen on: loopback by default, since the admin credentials are well known. */
  host: string;
  dynamoDbLocalPort: number | undefined;
  dynamoDbEndpoint: string | undefined;
  dataDir: string | undefined;
  tableName: string;
  admin: AdminCredentials;
}

function portFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number, got ${raw}`);
  return port;
}

/** `npm start`'s command-line options, for parseArgs and --help. */
const OPTIONS = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Thrown for `--help`: its message is the help text, printed to stdout, exit 0. */
export class HelpRequested extends Error {}

/**
 * Reads `npm start`'s settings; throws one line on a bad port, an unknown option (named) or a
 * `--data-dir` without a directory, and `HelpRequested` for `--help`.
 */
export function localSettings(env: NodeJS.ProcessEnv, argv: readonly string[]): LocalSettings {
  let values: { 'data-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/--data-dir/.test(text) && /argument missing/.test(text))
      throw new Error('--data-dir needs a directory');
    // parseArgs names the option ("Unknown option '--data-dr'"); keep its first sentence only.
    throw new Error(`${text.split('. ')[0]?.replace(/\.$/, '')}. Run with --help for the options.`);
  }
  if (values.help) throw new HelpRequested(helpText());
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && (dataDir === '' || dataDir.startsWith('-')))
    throw new Error('--data-dir needs a directory');
  return {
    port: portFrom(env, 'PORT') ?? 3000,
    host: env.HOST || '127.0.0.1',
    dynamoDbLocalPort: portFrom(env, 'DYNAMODB_LOCAL_PORT'),
    dynamoDbEndpoint: env[ENV.dynamoDbEndpoint] || undefined,
    dataDir,
    tableName: env[ENV.tableName] || 'oauth-tokens',
    admin: {
      accessKeyId: env.ADMIN_ACCESS_KEY_ID || 'LOCALADMIN',
      secretAccessKey: env.ADMIN_SECRET_ACCESS_KEY || 'localadminsecret',
    },
  };
}

/** Where events wait for the webhook (default: in the data directory). */
export const OUTBOX_DIR = 'EVENTS_OUTBOX_DIR';

/** `json`: the functions' JSON log lines, as on Lambda; anything else: one human line per request. */
export const LOG_FORMAT = 'LOG_FORMAT';
/** `on`: print the embedded-metric blobs locally too (always on Lambda). */
export const PRINT_METRICS = 'PRINT_METRICS';

/** Every environment variable `npm start` reads, with what it does: the --help text's second half. */
export const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['PORT', 'HTTP port (default 3000; 0 picks a free one)'],
  ['HOST', 'interface to listen on (default 127.0.0.1)'],
  [ENV.dynamoDbEndpoint, 'use this running DynamoDB instead of starting DynamoDB Local'],
  ['DYNAMODB_LOCAL_PORT', "DynamoDB Local's port (default: a free one)"],
  [ENV.tableName, 'table name (default oauth-tokens)'],
  ['ADMIN_ACCESS_KEY_ID', 'admin API SigV4 access key id (default LOCALADMIN)'],
  ['ADMIN_SECRET_ACCESS_KEY', 'admin API SigV4 secret key (default localadminsecret)'],
  [ENV.eventsWebhookUrl, 'POST each revocation event to this URL, as EventBridge hands it to a target'],
  [OUTBOX_DIR, 'where events wait for the webhook (default: in --data-dir, else a temporary one)'],
  [
    ENV.subjectKeyFile,
    'the secret keying subject hashes, made on first use (default: subject-key in the data dir)',
  ],
  [LOG_FORMAT, 'json: print the JSON log lines as on Lambda (default: one short line per request)'],
  [PRINT_METRICS, 'on: print the embedded-metric blobs too'],
  ['POWERTOOLS_LOG_LEVEL', 'DEBUG, INFO (default), WARN, ERROR'],
  ['LOCAL_STREAM_READERS', 'off: run no sweeper and publisher (a second server on one table)'],
  [ENV.issuer, "RFC 8414 issuer (default: the request's own origin)"],
  [ENV.retryAfterSeconds, 'Retry-After of a 503 (default 1)'],
  [ENV.authFailureLimit, 'failed client authentications per client and IP before 429 (default 20)'],
  [ENV.authFailureWindowSeconds, 'window of that limit (default 60)'],
  [ENV.clientCacheSeconds, 'how long a client item may be reused (default 5, at most 300)'],
  [ENV.adminPrincipalArns, 'comma-separated IAM ARNs allowed on the admin API'],
  ['AUTHORIZER_ROUTE_SCOPES', "the demo authorizer's scopes per route"],
  ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', "true: no note about the SDK's Node versions"],
];

/** `npm start -- --help`. */
export function helpText(): string {
  const width = Math.max(...ENVIRONMENT.map(([name]) => name.length));
  return `Usage: npm start [-- OPTIONS]
Runs the token revocation service on http://localhost:3000 with DynamoDB Local (needs Java 17+).

Options:
  --data-dir DIR   keep the table in DIR across restarts (default: in memory)
  -h, --help       print this help

Environment variables:
${ENVIRONMENT.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`).join('\n')}`;
}

/** `off`: this server runs no stream readers (no sweeps, no events), for a second server on one table. */
export const STREAM_READERS_SWITCH = 'LOCAL_STREAM_READERS';

/** The AWS SDK's own switch for its multi-line notice about the Node versions it will support. */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** The oldest Node major that AWS SDK releases after early January 2027 support. */
const SDK_MIN_NODE_MAJOR = 22;

/**
 * The one line `npm start` prints about the Node version, in place of the AWS SDK's nine-line notice
 * (which it would print again in every process that builds a client). Turns the SDK's notice off in
 * `env` as a side effect. Undefined, and `env` untouched, on Node 22 or newer or when the user already
 * turned the notice off.
 */
export function nodeVersionNotice(nodeVersion: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env[SDK_NODE_WARNING_SWITCH] === 'true') return undefined;
  const major = Number.parseInt(nodeVersion.replace(/^v/, ''), 10);
  if (!(major < SDK_MIN_NODE_MAJOR)) return undefined;
  env[SDK_NODE_WARNING_SWITCH] = 'true';
  return `Note: Node ${nodeVersion} works, but AWS SDK releases after early January 2027 need Node ${SDK_MIN_NODE_MAJOR} or newer (the deployed functions run on Node 24).`;
}

/** What the DynamoDB line of the banner adds about who can reach the data (see `localAccessKey`). */
function exposure(settings: LocalSettings, accessKeyId: string | undefined): string {
  if (settings.dynamoDbEndpoint) return '';
  return accessKeyId
    ? "\n    listens on every interface (DynamoDB Local cannot bind to loopback); the data needs this run's access key"
    : '\n    listens on every interface with a shared database: anyone who reaches the port can read it';
}

/** A webhook URL as the banner names it: scheme, host and path; never its credentials or query. */
export function webhookTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** What `npm start` prints once it listens: where things are, and the start of the README's curl session. */
export function banner(
  url: string,
  settings: LocalSettings,
  endpoint: string,
  webhook: string | undefined = undefined,
  /** The key DynamoDB Local keeps this run's data under, when the server started it with one. */
  dynamoAccessKeyId: string | undefined = undefined,
): string {
  const { accessKeyId, secretAccessKey } = settings.admin;
  const auth = '-u "$CLIENT_ID:$CLIENT_SECRET"';
  return `Token revocation service listening on ${url}
  OAuth:    ${url}/oauth2/token  ${url}/oauth2/revoke  ${url}/oauth2/introspect  ${url}/oauth/token
  Metadata: ${url}/.well-known/oauth-authorization-server
  Admin:    ${url}/admin/...  (SigV4, region us-east-1, service execute-api: ${accessKeyId} / ${secretAccessKey})
  Demo API: ${url}${DEMO_PATH}  (behind the token authorizer)
  DynamoDB: ${endpoint} (table ${settings.tableName}${settings.dataDir ? `, data in ${settings.dataDir}` : ', in memory'})${exposure(settings, dynamoAccessKeyId)}
  Events:   ${webhook ? `POSTed to ${webhookTarget(webhook)}` : `logged only (set ${ENV.eventsWebhookUrl} to POST them somewhere)`}

Try it in bash (needs curl and jq; README.md "A session with curl" goes on from here):
  URL=${url}
  SIGN=(--aws-sigv4 "aws:amz:us-east-1:execute-api" --user ${accessKeyId}:${secretAccessKey})
  CLIENT=$(curl -s "\${SIGN[@]}" -H 'Content-Type: application/json' \\
    -d '{"name":"demo","grantTypes":["client_credentials","refresh_token"],"scopes":["read","write"]}' $URL/admin/clients)
  CLIENT_ID=$(jq -r .clientId <<<"$CLIENT"); CLIENT_SECRET=$(jq -r .clientSecret <<<"$CLIENT")
  AT=$(curl -s ${auth} -d grant_type=client_credentials -d scope=read $URL/oauth2/token | jq -r .access_token)
  curl -s ${auth} -d token="$AT" $URL/oauth2/introspect | jq -c .    # {"active":true,"scope":"read",...}
  curl -s -w '%{http_code}\\n' ${auth} -d token="$AT" $URL/oauth2/revoke    # 200
  curl -s ${auth} -d token="$AT" $URL/oauth2/introspect | jq -c .    # {"active":false}
Press Ctrl-C to stop.`;
}

/**
 * Whether `key` is seen for the first time on this machine (a marker in the temporary directory): the
 * Node version note is printed once, not on every start.
 */
function firstTime(key: string): boolean {
  const marker = join(tmpdir(), `token-revocation-${key}-noted`);
  if (existsSync(marker)) return false;
  try {
    writeFileSync(marker, '');
  } catch {}
  return true;
}

/**
 * Local output for people (contract, "Local output is for people"): one human line per request, event,
 * sweep and warning unless LOG_FORMAT=json; the metrics blobs only with PRINT_METRICS=on or LOG_FORMAT=json.
 * Set before the handlers load: Powertools reads its switches when it builds the metrics.
 */
export function configureOutput(env: NodeJS.ProcessEnv): void {
  const json = env[LOG_FORMAT] === 'json';
  if (!json) setLogSink(humanSink());
  if (!json && env[PRINT_METRICS] !== 'on') env.POWERTOOLS_METRICS_DISABLED ??= 'true';
}

/**
 * `npm start`: DynamoDB Local (unless DYNAMODB_ENDPOINT names a running DynamoDB), the table, every
 * route on one HTTP server, and the stream functions (sweeper, publisher) reading the table's stream in
 * the same process (EVENTS_WEBHOOK_URL, when set, receives each event). Ctrl-C and SIGTERM stop them all.
 */
export async function main(): Promise<void> {
  const settings = localSettings(process.env, process.argv.slice(2));
  // First of all: the AWS SDK's first call makes the process-wide InvokeStore, single or per invocation.
  await scopeLambdaContexts();
  return initPhase(() => serve(settings));
}

/** Starts DynamoDB Local (unless one is given), the server and the stream readers. */
async function serve(settings: LocalSettings): Promise<void> {
  // Before any AWS SDK client exists: the SDK reads its switch when it builds the first one.
  const notice = nodeVersionNotice(process.version, process.env);
  if (notice && firstTime(`node-${process.versions.node.split('.')[0]}`)) console.warn(notice);
  configureOutput(process.env);
  let dynamo: DynamoDbLocal | undefined;
  const stopJava = () => {
    if (dynamo && dynamo.process.exitCode === null) dynamo.process.kill('SIGKILL');
  };
  process.on('exit', stopJava);
  let accessKeyId: string | undefined;
  if (!settings.dynamoDbEndpoint) {
    // Given to every client the server builds: its own (the table, the stream readers) and its functions'.
    accessKeyId = localAccessKey(settings.dataDir);
    dynamo = await startDynamoDbLocal({
      ...(settings.dynamoDbLocalPort !== undefined && { port: settings.dynamoDbLocalPort }),
      ...(settings.dataDir !== undefined && { dataDir: settings.dataDir }),
      ...(accessKeyId !== undefined && { accessKeyId }),
    });
  }
  const endpoint = settings.dynamoDbEndpoint ?? dynamo?.endpoint ?? '';
  await ensureTable(endpoint, settings.tableName, accessKeyId);
  // One configuration for every function: the environment's settings, with the table this server made.
  // Passed to the functions' factories, never written to the environment for them to read.
  const config = readConfig({
    ...process.env,
    [ENV.tableName]: settings.tableName,
    [ENV.dynamoDbEndpoint]: endpoint,
  });
  // Process-wide, and the SDK's own: a client built without a region (EventBridge, when EVENT_BUS_NAME
  // is set locally) reads it from the environment, and no setting of ours reaches into the SDK there.
  process.env.AWS_REGION ??= 'us-east-1';
  // Without --data-dir, the data directory is a fresh one per process.
  const dataDir = settings.dataDir ?? mkdtempSync(join(tmpdir(), 'revocation-'));
  const table = openLocalTable(config, accessKeyId);
  const ssfStore = openSsfStore(table);
  // [v3] The SSF transmitter: its signing key and event outbox in the data directory (docs/ssf.md).
  const ssfDir = join(dataDir, 'ssf');
  const ssfKeyDir = process.env[SSF_ENV.keyDir] ?? ssfDir;
  const ssf = await startLocalSsf({
    dir: ssfDir,
    keyDir: ssfKeyDir,
    store: ssfStore,
    issuer: config.issuer,
    defaultIssuer: process.env[SSF_ENV.defaultIssuer],
  });
  const deps = localDependencies({
    config,
    table,
    ssfStore,
    // The secret that keys subject hashes, generated on first use: kept with the tokens it keyed.
    subjectKeyFile: process.env[ENV.subjectKeyFile] ?? join(dataDir, 'subject-key'),
    ssfKeyDir,
    ssfQueue: ssf.queue,
    setIssuer: ssf.issuer,
    // Events the webhook did not take wait here.
    outboxDir: process.env[OUTBOX_DIR] ?? join(dataDir, 'outbox'),
    eventSinks: [ssf.sink],
    // Read now, as a Lambda's cold start would: a bad rule stops the server before it listens.
    routeScopes: routeScopesFromEnv(process.env),
  });
  const server = await createLocalServer(settings.admin, deps);
  // Before listening: a revocation answered 200 must already be on the readers' way. A second server on
  // the same table turns them off, as one table has one sweeper and one publisher on AWS.
  const readers: StreamReaders | undefined =
    process.env[STREAM_READERS_SWITCH] === 'off'
      ? undefined
      : await startStreamReaders(
          {
            endpoint,
            accessKeyId,
            tableName: settings.tableName,
            // With a kept data directory the readers resume where they stopped (a crash included).
            ...(settings.dataDir !== undefined && {
              checkpointDir: join(settings.dataDir, 'stream-checkpoints'),
            }),
          },
          streamConsumers(deps),
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${settings.port} is in use: set PORT to another port (PORT=0 picks a free one).`)
          : error,
      ),
    );
    server.listen(settings.port, settings.host, resolve);
  });
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  await ssf.listening(url);
  console.log(banner(url, settings, endpoint, config.eventsWebhookUrl, accessKeyId));

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    await readers?.stop();
    // After the readers: the events they flush on the way out still reach the SSF outbox.
    ssf.stop();
    await dynamo?.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
