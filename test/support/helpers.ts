import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { presentToken, TOKEN_PREFIX } from '#commons/domain/token-format.ts';
import { ATTR, GRANT_KEY_PREFIX, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { type AdminResponse, adminRequest, parseJsonBody } from '#tools/admin-client.ts';

export const baseUrl = inject('baseUrl');
export const runDir = inject('runDir');
export const tableName = inject('tableName');
export const dynamoEndpoint = inject('dynamoEndpoint');

/** The local server's default admin credentials (the contract's defaults). */
export const ADMIN = { accessKeyId: 'LOCALADMIN', secretAccessKey: 'localadminsecret' } as const;

const SECRET_FIELDS = ['access_token', 'refresh_token', 'clientSecret'];

/**
 * Notes every secret a response handed out, so the audit project can prove none of them was ever stored
 * or logged in the clear.
 */
export function recordSecrets(json: unknown): void {
  if (typeof json !== 'object' || json === null) return;
  const values = SECRET_FIELDS.map((field) => (json as Record<string, unknown>)[field]).filter(
    (value): value is string => typeof value === 'string',
  );
  if (values.length > 0) appendFileSync(join(runDir, 'secrets.txt'), `${values.join('\n')}\n`);
}

/** A signed admin API call against the local server. */
export async function admin(method: string, path: string, body?: unknown): Promise<AdminResponse> {
  const response = await adminRequest(baseUrl, method, path, ADMIN, body === undefined ? {} : { body });
  recordSecrets(response.json);
  return response;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Any HTTP call to the local server, over a real socket; records secrets in the response. */
export async function call(method: string, path: string, init: RequestInit = {}): Promise<HttpResponse> {
  const response = await fetch(new URL(path, baseUrl), { ...init, method });
  const text = await response.text();
  const json = parseJsonBody(text);
  recordSecrets(json);
  return { status: response.status, headers: response.headers, text, json };
}

/** RFC 6749 2.3.1 Basic credentials: each part form-urlencoded, then base64. */
export function basic(clientId: string, secret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** A form POST; `auth` as [clientId, secret] adds Basic credentials. */
export function postForm(
  path: string,
  params: Record<string, string> | string,
  options: { auth?: readonly [string, string]; headers?: Record<string, string> } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    ...options.headers,
  };
  if (options.auth) headers.authorization = basic(options.auth[0], options.auth[1]);
  const body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  return call('POST', path, { headers, body });
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  name: string;
  public: boolean;
  grantTypes: string[];
  scopes: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  refreshTokenRotation: boolean;
  refreshTokenReuseGraceSeconds: number;
  createdAt: number;
}

/** Registers a client through the admin API (confidential, both grants, scopes read/write by default). */
export async function registerClient(overrides: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const response = await admin('POST', '/admin/clients', {
    name: 'test client',
    grantTypes: ['client_credentials', 'refresh_token'],
    scopes: ['read', 'write'],
    ...overrides,
  });
  if (response.status !== 201)
    throw new Error(`client registration failed: ${JSON.stringify(response.json)}`);
  return response.json as RegisteredClient;
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** client_credentials tokens for a confidential client. */
export async function clientCredentials(client: RegisteredClient, scope?: string): Promise<Tokens> {
  const params: Record<string, string> = { grant_type: 'client_credentials' };
  if (scope !== undefined) params.scope = scope;
  const response = await postForm('/oauth2/token', params, { auth: [client.clientId, client.clientSecret] });
  if (response.status !== 200) throw new Error(`token request failed: ${response.text}`);
  return response.json as Tokens;
}

/**
 * The tokens of a new grant: an access token and a refresh token, minted through the admin API as an
 * upstream authorization server hands a signed-in user's tokens over (client_credentials issues no refresh
 * token, RFC 6749 4.4.3). The client must be allowed the refresh_token grant.
 */
export async function grantTokens(
  client: RegisteredClient,
  options: { scope?: string; subject?: string } = {},
): Promise<Tokens & { refresh_token: string }> {
  const response = await admin('POST', '/admin/tokens', {
    clientId: client.clientId,
    refreshToken: true,
    ...options,
  });
  const tokens = response.json as Tokens;
  if (response.status !== 201 || tokens.refresh_token === undefined) {
    throw new Error(`grant mint failed: ${JSON.stringify(response.json)}`);
  }
  return tokens as Tokens & { refresh_token: string };
}

/** A refresh grant; returns the raw response. */
export function refresh(client: RegisteredClient, refreshToken: string, extra: Record<string, string> = {}) {
  return postForm(
    '/oauth2/token',
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
    { auth: [client.clientId, client.clientSecret] },
  );
}

/** Introspects as the given confidential client; returns the parsed body. */
export async function introspect(client: RegisteredClient, token: string): Promise<Record<string, unknown>> {
  const response = await postForm(
    '/oauth2/introspect',
    { token },
    { auth: [client.clientId, client.clientSecret] },
  );
  if (response.status !== 200) throw new Error(`introspection failed: ${response.text}`);
  return response.json as Record<string, unknown>;
}

/** The store adapter against the suite's DynamoDB Local table. */
export function testStore(): DynamoStore {
  return new DynamoStore({ tableName, client: createDynamoClient({ endpoint: dynamoEndpoint }) });
}

/** One JSON line of a server log. */
export interface LogLine {
  level?: string;
  message?: string;
  /** The Lambda request id: one invocation's lines share it. */
  function_request_id?: string;
  route?: string;
  status?: number;
  clientId?: string;
  /** Why the local server answered a request itself (refused signature, unknown route, ...). */
  reason?: string;
  /** The IAM principal of an admin request. */
  principal?: string;
  tokenIdPrefix?: string;
  /**
   * The audit fields of the revocation a request line records, whole: on the line, `audit` leaves out
   * what the line says itself (functions/commons/http/handler.ts, withoutRepeats); here it is put back.
   * The line as written is in `raw`.
   */
  audit?: Record<string, unknown>;
  /** The line as written. */
  raw: string;
}

/** Fields of a request line's `audit` that are the line's own when absent, and none when `null`. */
const SHARED_AUDIT_FIELDS = ['route', 'clientId', 'tokenIdPrefix'] as const;

/** A line's `audit` with what it leaves to the line put back (see LogLine.audit). */
function wholeAudit(line: Omit<LogLine, 'raw'>): Record<string, unknown> | undefined {
  const audit = line.audit;
  if (audit === undefined || Array.isArray(audit) || line.message !== 'request') return audit;
  const whole: Record<string, unknown> = { ...audit };
  for (const name of SHARED_AUDIT_FIELDS) {
    if (whole[name] === null) delete whole[name];
    else if (whole[name] === undefined && line[name] !== undefined) whole[name] = line[name];
  }
  // No `at`: a cut-off's, at its own instant.
  if (whole.at === undefined && typeof whole.tokensRevokedBefore === 'number') {
    whole.at = new Date(whole.tokensRevokedBefore).toISOString();
  }
  // No `who`: the line's caller, its principal (an admin's) or else its client.
  if (whole.who === undefined) {
    whole.who = line.principal ?? line.clientId;
    whole.actorType = line.principal ? 'iam' : 'client';
  }
  return whole;
}

/**
 * A line's bytes on Lambda: without the local time and function name (CloudWatch Logs stamps each event,
 * the log group names the function), API Gateway's 16-character request id for the local UUID, and at
 * its longest what only Lambda adds: a sampled request's X-Ray trace id and the cold start flag.
 */
export function lambdaBytes(line: { raw: string }): number {
  const written = JSON.parse(line.raw) as Record<string, unknown>;
  const { timestamp: _time, function_name: _name, correlation_id, ...rest } = written;
  const onLambda = {
    ...rest,
    cold_start: true,
    xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
    ...(correlation_id !== undefined && { correlation_id: 'JZxV3iK4IAMEJGw=' }),
  };
  return Buffer.byteLength(JSON.stringify(onLambda)) + 1;
}

/** The suite's local server log. */
export const serverLog = join(runDir, 'server.log');

/** Every JSON line a server has logged so far (its banner and runtime warnings are not JSON). */
export function logLines(file = serverLog): LogLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((raw) => {
      if (!raw.startsWith('{')) return [];
      try {
        const line = JSON.parse(raw) as Omit<LogLine, 'raw'>;
        const audit = wholeAudit(line);
        return [{ ...line, ...(audit && { audit }), raw }];
      } catch {
        return [];
      }
    });
}

/**
 * Polls a server log until `done` holds and returns its lines. A server logs before it responds, but the
 * test process copies the server's output to the file asynchronously, so a line may land a little later.
 */
export async function waitForLog(done: (lines: LogLine[]) => boolean, file = serverLog): Promise<LogLine[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = logLines(file);
    if (done(lines)) return lines;
    if (Date.now() > deadline) throw new Error(`the expected lines never reached ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Polls `check` until it resolves without throwing, and returns what it returned; after `timeoutMs`,
 * throws its last error. For what the service does in the background (the stream's sweeper deleting
 * revoked tokens): asserting it at once would race it, and a fixed sleep would be both slow and flaky.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/**
 * The item that stores the token, whatever it holds (a tombstone included); undefined once it is gone. A
 * refresh token is stored by its grant's item while the grant holds it (current, or remembered as
 * consumed) and is not revoked: a revoked grant's item is its revocation mark, no longer a token's store.
 */
export async function tokenItem(rawToken: string): Promise<Record<string, unknown> | undefined> {
  const get = async (key: string) =>
    (
      await DynamoDBDocumentClient.from(rawDynamo()).send(
        new GetCommand({ TableName: tableName, Key: { [PARTITION_KEY]: key }, ConsistentRead: true }),
      )
    ).Item;
  const id = hashSecret(rawToken);
  const item = await get(id);
  const grantId = presentToken(rawToken).refs?.grantId;
  if (item || !rawToken.startsWith(TOKEN_PREFIX.refresh) || grantId === undefined) return item;
  const grant = await get(`${GRANT_KEY_PREFIX}${grantId}`);
  if (!grant || grant[ATTR.revokedAt] !== undefined) return undefined;
  const consumed = (grant[ATTR.consumedRefreshTokens] ?? []) as { id?: string }[];
  return grant[ATTR.currentRefreshTokenId] === id || consumed.some((c) => c.id === id) ? grant : undefined;
}

let raw: ReturnType<typeof createDynamoClient> | undefined;
const rawDynamo = () => {
  raw ??= createDynamoClient({ endpoint: dynamoEndpoint });
  return raw;
};

/**
 * Waits for the sweeper to delete every one of these tokens' items from the table (tombstones
 * included): a revocation makes them inactive at once, and the sweep removes them in the background.
 */
export async function eventuallyGone(rawTokens: readonly string[], timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => {
      const left = (await Promise.all(rawTokens.map(tokenItem))).filter((item) => item !== undefined);
      if (left.length > 0)
        throw new Error(`${left.length} of ${rawTokens.length} token items are still stored`);
    },
    { timeoutMs },
  );
}

/** The IAM principal the local server verifies the default admin credentials as. */
export const LOCAL_ADMIN_PRINCIPAL = 'arn:aws:iam::000000000000:user/local-admin';

/** Runs `action` and returns its result with the epoch-ms instants just before it started and after it ended. */
export async function timed<T>(
  action: () => Promise<T>,
): Promise<{ result: T; before: number; after: number }> {
  const before = Date.now();
  const result = await action();
  return { result, before, after: Date.now() };
}
