import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { startServer } from '../support/global-setup.ts';
import { basic, dynamoEndpoint, registerClient, runDir, waitForLog } from '../support/helpers.ts';
import { type Relay, startRelay } from '../support/relay.ts';

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

describe('npm start', () => {
  it('starts its own DynamoDB Local, serves the routes, and stops both on SIGTERM to npm', async () => {
    const dynamoPort = await freePort();
    const { DYNAMODB_ENDPOINT: _, ...env } = process.env;
    // Through npm itself: the signal must travel npm -> tsx -> server -> DynamoDB Local.
    const child = spawn('npm', ['start', '--silent'], {
      env: { ...env, PORT: '0', DYNAMODB_LOCAL_PORT: String(dynamoPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk;
        const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    expect(output).toContain(`DynamoDB: http://127.0.0.1:${dynamoPort}`);
    expect(output).toContain('LOCALADMIN / localadminsecret');
    const response = await fetch(`${url}/oauth2/introspect`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await canConnect(dynamoPort)).toBe(true);

    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(await canConnect(dynamoPort)).toBe(false);
    expect(await canConnect(Number(new URL(url).port))).toBe(false);
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
