import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN, eventually, recordSecrets, runDir } from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';

/**
 * The DynamoDB Local that `npm start` launches (issue 15 item 5). It has no option to listen on loopback
 * only, so it keeps the service's data under an access key only this run of the local server knows:
 * whoever reaches its port with other credentials (any, as DynamoDB Local accepts) sees no table.
 */
let stop = () => {};
afterAll(() => stop());

describe("npm start's own DynamoDB Local", () => {
  it("shows the service's table to no one without the run's access key, and says so in the banner", async () => {
    const log = join(runDir, 'dynamodb-exposure.log');
    // No DYNAMODB_ENDPOINT: the server launches its own DynamoDB Local, as `npm start` does (and without
    // the suite's command recorder, which would build the functions' client before the server sets it up).
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        DYNAMODB_ENDPOINT: '',
        DYNAMODB_LOCAL_ACCESS_KEY_ID: '',
        TABLE_NAME: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stop = () => child.kill('SIGTERM');
    const out = createWriteStream(log);
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    const url = await eventually(
      () => {
        const found = /listening on (http:\/\/localhost:\d+)/.exec(seen)?.[1];
        if (!found) throw new Error(`not listening yet:\n${seen}`);
        return found;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const created = await adminRequest(url, 'POST', '/admin/clients', ADMIN, { body: { name: 'exposure' } });
    recordSecrets(created.json);
    expect(created.status).toBe(201);

    const banner = seen;
    const endpoint = /DynamoDB: (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    if (!endpoint) throw new Error(`no DynamoDB endpoint in the banner:\n${banner}`);
    for (const accessKeyId of ['local', 'attacker', 'AKIAIOSFODNN7EXAMPLE']) {
      const outsider = new DynamoDBClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId, secretAccessKey: 'anything' },
      });
      expect((await outsider.send(new ListTablesCommand({}))).TableNames, accessKeyId).toEqual([]);
      outsider.destroy();
    }
    expect(banner).toContain("the data needs this run's access key");
  }, 90_000);
});
