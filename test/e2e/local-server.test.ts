import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '#test/support/global-setup.ts';
import {
  ADMIN,
  basic,
  dynamoEndpoint,
  type LogLine,
  logLines,
  recordSecrets,
  registerClient,
  runDir,
  tableName,
  waitForLog,
} from '#test/support/helpers.ts';
import { type Relay, startRelay } from '#test/support/relay.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { freePort, localDynamoClient } from '#tools/local/dynamodb-local.ts';
import { SDK_NODE_WARNING_SWITCH } from '#tools/local/start.ts';

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Runs `bin/start.ts` with a PATH holding only `dir` and returns what it printed. */
function startWithPath(dir: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
    env: { ...process.env, PATH: dir, PORT: '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

interface NpmStart {
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM to npm; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `npm start` as users run it, with `args` after `--`; resolves once it listens. */
function npmStart(args: readonly string[], env: NodeJS.ProcessEnv): Promise<NpmStart> {
  const child = spawn('npm', ['start', '--silent', ...(args.length > 0 ? ['--', ...args] : [])], {
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (match?.[1])
        resolve({
          url: match[1],
          output: () => output,
          stop: () => {
            child.kill('SIGTERM');
            return exit;
          },
        });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exit.then((code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}

/** The environment of a user's shell: no DynamoDB endpoint of the suite's, no switches the suite set. */
function userEnv(): NodeJS.ProcessEnv {
  const {
    DYNAMODB_ENDPOINT: _,
    [SDK_NODE_WARNING_SWITCH]: __,
    POWERTOOLS_LOG_LEVEL: ___,
    POWERTOOLS_METRICS_DISABLED: ____,
    ...env
  } = process.env;
  return env;
}

describe('npm start', () => {
  it('starts its own DynamoDB Local, serves the routes, and stops both on SIGTERM to npm', async () => {
    const dynamoPort = await freePort();
    // Through npm itself: the signal must travel npm -> server -> DynamoDB Local.
    const server = await npmStart([], { ...userEnv(), DYNAMODB_LOCAL_PORT: String(dynamoPort) });
    expect(server.output()).toContain(`DynamoDB: http://127.0.0.1:${dynamoPort}`);
    expect(server.output()).toContain('LOCALADMIN / localadminsecret');
    const response = await fetch(`${server.url}/oauth2/introspect`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await canConnect(dynamoPort)).toBe(true);

    expect(await server.stop()).toBe(0);
    expect(await canConnect(dynamoPort)).toBe(false);
    expect(await canConnect(Number(new URL(server.url).port))).toBe(false);
  });

  it("prints one line of its own about the Node version instead of the AWS SDK's notice, once per machine", async () => {
    // A fresh temporary directory: where npm start remembers that it said it.
    const env = { ...userEnv(), TMPDIR: mkdtempSync(join(tmpdir(), 'node-note-')) };
    const notices = async () => {
      const server = await npmStart([], env);
      // Every handler and its SDK client is loaded by now; a request makes sure one has been used.
      expect((await fetch(`${server.url}/oauth2/introspect`, { method: 'POST' })).status).toBe(400);
      expect(await server.stop()).toBe(0);
      const output = server.output();
      expect(output).not.toContain('NodeVersionSupportWarning');
      return output.split('\n').filter((line) => line.includes('need Node 22 or newer'));
    };
    const major = Number(process.versions.node.split('.')[0]);
    expect(await notices()).toHaveLength(major < 22 ? 1 : 0);
    expect(await notices()).toHaveLength(0);
  });

  it('creates a missing --data-dir folder, parents included, and keeps the data between runs', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'data-dir-')), 'nested', '.dynamodb');
    const first = await npmStart(['--data-dir', dataDir], userEnv());
    expect(first.output()).toContain(`data in ${dataDir}`);
    const created = await adminRequest(first.url, 'POST', '/admin/clients', ADMIN, {
      body: { name: 'kept', grantTypes: ['client_credentials'], scopes: ['read'] },
    });
    recordSecrets(created.json);
    expect(created.status).toBe(201);
    expect(await first.stop()).toBe(0);
    expect(readdirSync(dataDir).some((name) => name.endsWith('.db'))).toBe(true);

    const second = await npmStart(['--data-dir', dataDir], userEnv());
    const { clientId } = created.json as { clientId: string };
    const read = await adminRequest(second.url, 'GET', `/admin/clients/${clientId}`, ADMIN);
    expect(await second.stop()).toBe(0);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ clientId, name: 'kept' });
    expect(existsSync(dataDir)).toBe(true);
  });

  it('says in one line what to install when Java is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-java-'));
    const result = startWithPath(empty);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/Java was not found.*Java 17 or newer.*openjdk-17-jre-headless/);
  });

  it('refuses a Java older than 17 in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'old-java-'));
    writeFileSync(join(dir, 'java'), '#!/bin/sh\necho \'java version "1.8.0_292"\' >&2\n');
    chmodSync(join(dir, 'java'), 0o755);
    const result = startWithPath(dir);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/1\.8\.0_292.*too old.*Java 17/);
  });
});

describe('failures of DynamoDB', () => {
  const logFile = join(runDir, 'outage-server.log');
  let stopServer = () => {};
  let relay: Relay | undefined;

  afterAll(() => {
    stopServer();
    relay?.cut();
  });

  it('answers 500 server_error without detail for an unexpected fault, and 503 with Retry-After during an outage', async () => {
    // A relay in front of DynamoDB Local that the test can cut, as a network outage would.
    relay = await startRelay(dynamoEndpoint);
    const relayPort = relay.port;
    const table = `outage-${Date.now()}`;
    const { url, child } = await startServer(
      { DYNAMODB_ENDPOINT: `http://127.0.0.1:${relayPort}`, TABLE_NAME: table, RETRY_AFTER_SECONDS: '5' },
      logFile,
    );
    stopServer = () => child.kill('SIGTERM');
    const client = await registerClient();
    const introspect = () =>
      fetch(`${url}/oauth2/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(client.clientId, client.clientSecret),
        },
        body: 'token=abc',
      });
    // The client lives in the suite's table; this server's table is separate, so it does not know it.
    expect((await introspect()).status).toBe(401);

    // A missing table is a fault, not an outage: generic 500, no message.
    const admin = localDynamoClient(dynamoEndpoint);
    await admin.send(new DeleteTableCommand({ TableName: table }));
    admin.destroy();
    const broken = await introspect();
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ error: 'server_error' });
    expect(broken.headers.get('cache-control')).toBe('no-store');

    // Cut the network: every call is a 503 with Retry-After.
    relay.cut();
    const down = await introspect();
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.headers.get('cache-control')).toBe('no-store');
    expect(await down.json()).toEqual({ error: 'temporarily_unavailable' });

    const lines = await waitForLog((all) => all.some((line) => line.status === 503), logFile);
    expect(lines.some((line) => line.status === 500)).toBe(true);
    // The outage is counted as a metric of its route (embedded metric format).
    const unavailable = await waitForLog((all) => all.some((line) => 'StoreUnavailable' in line), logFile);
    expect(unavailable.find((line) => 'StoreUnavailable' in line)).toMatchObject({
      StoreUnavailable: 1,
      route: 'POST /oauth2/introspect',
      service: 'token-revocation',
    });
    // Causes are logged as one line each, never as a stack trace.
    expect(readFileSync(logFile, 'utf8')).not.toMatch(/\n\s+at /);
  });
});

/** Sends raw bytes on a new connection and resolves with everything the server sent back. */
function rawRequest(url: string, bytes: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body });
    });
    socket.end(bytes);
  });
}

describe('requests the local server answers itself', () => {
  // A server of its own, so its log holds only this describe's requests.
  const logFile = join(runDir, 'refusals-server.log');
  let url = '';
  let stopServer = () => {};
  beforeAll(async () => {
    const started = await startServer({ DYNAMODB_ENDPOINT: dynamoEndpoint, TABLE_NAME: tableName }, logFile);
    url = started.url;
    stopServer = () => started.child.kill('SIGTERM');
  });
  afterAll(() => stopServer());

  it('answers a request target it cannot parse with 400 Bad Request, never 500', async () => {
    const before = answeredLines(logFile).length;
    const response = await rawRequest(
      url,
      'POST //[ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    expect(response).toEqual({ status: 400, body: '{"message":"Bad Request"}' });
    expect(await nextAnswered(logFile, before)).toMatchObject({
      route: '$default',
      status: 400,
      reason: 'unparseable request target',
    });
  });

  it("answers a request Node's HTTP parser refuses with a JSON 400 too, and logs the parser's error code", async () => {
    const before = answeredLines(logFile).length;
    const response = await rawRequest(url, 'GET / HTTP/1.1\r\nHost localhost\r\n\r\n');
    expect(response).toEqual({ status: 400, body: '{"message":"Bad Request"}' });
    expect(await nextAnswered(logFile, before)).toMatchObject({
      route: '$default',
      status: 400,
      reason: 'unparseable request (HPE_INVALID_HEADER_TOKEN)',
    });
  });

  it('logs one line per refused request, with route, status and reason, never its Authorization header, path or body', async () => {
    const marker = randomBytes(16).toString('hex');
    const before = answeredLines(logFile).length;
    const unknown = await fetch(`${url}/no-such-route-${marker}`, { method: 'POST', body: `body-${marker}` });
    const unsigned = await fetch(`${url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer header-${marker}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `body-${marker}` }),
    });
    const tooLarge = await fetch(`${url}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic header-${marker}` },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 'a'),
    });
    const unparseable = await rawRequest(
      url,
      `POST //[${marker} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${marker}\r\nContent-Length: 0\r\n\r\n`,
    );
    expect([unknown.status, unsigned.status, tooLarge.status, unparseable.status]).toEqual([
      404, 403, 413, 400,
    ]);
    expect(await unknown.json()).toEqual({ message: 'Not Found' });
    expect(await unsigned.json()).toEqual({ message: 'Forbidden' });
    expect(await tooLarge.json()).toEqual({ message: 'Request Entity Too Large' });

    await waitForLog(() => answeredLines(logFile).length >= before + 4, logFile);
    const lines = answeredLines(logFile).slice(before);
    expect(lines.map(({ message, route, status, reason }) => ({ message, route, status, reason }))).toEqual([
      { message: 'request', route: '$default', status: 404, reason: 'no route for this method and path' },
      {
        message: 'request',
        route: 'POST /admin/clients',
        status: 403,
        reason: 'signature refused: no SigV4 Authorization header',
      },
      {
        message: 'request',
        route: 'POST /oauth2/revoke',
        status: 413,
        reason: 'body over the 10 MiB payload limit',
      },
      { message: 'request', route: '$default', status: 400, reason: 'unparseable request target' },
    ]);
    expect(readFileSync(logFile, 'utf8')).not.toContain(marker);
  });
});

/** The first line logged for a request the server answered itself after the first `before` ones. */
async function nextAnswered(file: string, before: number): Promise<LogLine | undefined> {
  await waitForLog(() => answeredLines(file).length > before, file);
  const lines = answeredLines(file);
  // Exactly one: a refused request is logged once.
  expect(lines).toHaveLength(before + 1);
  return lines[before];
}

/** The log lines of requests the server answered itself (the handlers' lines carry no reason). */
function answeredLines(file: string): LogLine[] {
  return logLines(file).filter((line) => line.reason !== undefined);
}
