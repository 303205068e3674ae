import type { AddressInfo } from 'node:net';
import { ENV } from '#commons/config.ts';
import { type DynamoDbLocal, ensureTable, startDynamoDbLocal } from './dynamodb-local.ts';
import { createLocalServer } from './server.ts';
import type { AdminCredentials } from './sigv4.ts';

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

export function localSettings(env: NodeJS.ProcessEnv, argv: readonly string[]): LocalSettings {
  const dataDirAt = argv.indexOf('--data-dir');
  const dataDir = dataDirAt >= 0 ? argv[dataDirAt + 1] : undefined;
  if (dataDirAt >= 0 && !dataDir) throw new Error('--data-dir needs a directory');
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

function banner(url: string, settings: LocalSettings, endpoint: string): string {
  const { accessKeyId, secretAccessKey } = settings.admin;
  const sign = `--aws-sigv4 "aws:amz:us-east-1:execute-api" --user ${accessKeyId}:${secretAccessKey}`;
  return `Token revocation service listening on ${url}
  DynamoDB: ${endpoint} (table ${settings.tableName}${settings.dataDir ? `, data in ${settings.dataDir}` : ', in memory'})
  Admin API credentials (SigV4, region us-east-1, service execute-api): ${accessKeyId} / ${secretAccessKey}

Try it:
  # register a confidential client that may refresh
  curl -s ${sign} -H 'Content-Type: application/json' \\
    -d '{"name":"demo","grantTypes":["client_credentials","refresh_token"],"scopes":["read","write"]}' ${url}/admin/clients
  # get tokens (use the clientId and clientSecret printed above)
  curl -s -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials -d scope=read ${url}/oauth2/token
  # introspect, then revoke the refresh token: every access token minted from it dies with it
  curl -s -u CLIENT_ID:CLIENT_SECRET -d token=ACCESS_TOKEN ${url}/oauth2/introspect
  curl -s -u CLIENT_ID:CLIENT_SECRET -d token=REFRESH_TOKEN -d token_type_hint=refresh_token ${url}/oauth2/revoke
Press Ctrl-C to stop.`;
}

/**
 * `npm start`: DynamoDB Local (unless DYNAMODB_ENDPOINT names a running DynamoDB), the table, and every
 * route on one HTTP server. Ctrl-C and SIGTERM stop DynamoDB Local too.
 */
export async function main(): Promise<void> {
  const settings = localSettings(process.env, process.argv.slice(2));
  let dynamo: DynamoDbLocal | undefined;
  const stopJava = () => {
    if (dynamo && dynamo.process.exitCode === null) dynamo.process.kill('SIGKILL');
  };
  process.on('exit', stopJava);
  if (!settings.dynamoDbEndpoint) {
    dynamo = await startDynamoDbLocal({
      ...(settings.dynamoDbLocalPort !== undefined && { port: settings.dynamoDbLocalPort }),
      ...(settings.dataDir !== undefined && { dataDir: settings.dataDir }),
    });
  }
  const endpoint = settings.dynamoDbEndpoint ?? dynamo?.endpoint ?? '';
  await ensureTable(endpoint, settings.tableName);
  // The handlers read their configuration when they load, so set it before the server imports them.
  process.env[ENV.tableName] = settings.tableName;
  process.env[ENV.dynamoDbEndpoint] = endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  const server = await createLocalServer(settings.admin);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, resolve);
  });
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  console.log(banner(url, settings, endpoint));

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    await dynamo?.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
