import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '#test/support/global-setup.ts';
import { ADMIN, baseUrl, basic, dynamoEndpoint, runDir, tableName } from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

/** `npm start` as a person runs it: no LOG_FORMAT (the suite's own server has LOG_FORMAT=json). */
describe('npm start output for people', () => {
  it('prints one short human line per request, no JSON and no metrics blobs, tokens elided', async () => {
    const logFile = join(runDir, `human-${crypto.randomUUID()}.log`);
    const { url, child } = await startServer(
      {
        DYNAMODB_ENDPOINT: dynamoEndpoint,
        TABLE_NAME: tableName,
        LOG_FORMAT: '',
        EVENTS_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
      },
      logFile,
    );
    children.push(child);
    const created = await adminRequest(url, 'POST', '/admin/clients', ADMIN, {
      body: { name: 'human', grantTypes: ['client_credentials'], scopes: ['read'] },
    });
    const client = created.json as { clientId: string; clientSecret: string };
    const auth = {
      authorization: basic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    };
    const token = (await (
      await fetch(`${url}/oauth2/token`, {
        method: 'POST',
        headers: auth,
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string };
    await fetch(`${url}/oauth2/revoke?token=${token.access_token}`, {
      method: 'POST',
      headers: auth,
      body: `token=${token.access_token}`,
    });
    await adminRequest(
      url,
      'DELETE',
      `/admin/access-tokens/${encodeURIComponent(token.access_token)}`,
      ADMIN,
    );
    await fetch(`${url}/nowhere?x=1`);
    const deadline = Date.now() + 10_000;
    let output = '';
    while (Date.now() < deadline && !/GET \/nowhere 404/.test(output)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      output = readFileSync(logFile, 'utf8');
    }
    const lines = output.split('\n').filter((line) => line !== '');
    const after = lines.slice(lines.findIndex((line) => line.startsWith('Press Ctrl-C')) + 1);
    expect(after.some((line) => line.startsWith('{'))).toBe(false);
    expect(output).not.toContain('_aws');
    expect(output).not.toContain(token.access_token.slice(0, 20));
    const time = '\\d\\d:\\d\\d:\\d\\d';
    expect(after).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${time} POST /admin/clients 201 \\d+ ms ${client.clientId}$`)),
        expect.stringMatching(new RegExp(`^${time} POST /oauth2/token 200 \\d+ ms ${client.clientId}$`)),
        expect.stringMatching(new RegExp(`^${time} POST /oauth2/revoke 200 \\d+ ms ${client.clientId}$`)),
        expect.stringMatching(new RegExp(`^${time} DELETE /admin/access-tokens/… 404 \\d+ ms`)),
        expect.stringMatching(new RegExp(`^${time} GET /nowhere 404 \\d+ ms \\(no route`)),
      ]),
    );
    for (const line of after) expect(line.length).toBeLessThan(160);
    // The banner names every URL and the webhook target.
    for (const part of [
      '/oauth2/token',
      '/oauth2/revoke',
      '/oauth2/introspect',
      '/.well-known/oauth-authorization-server',
      '/admin/',
      '/demo/whoami',
      'http://127.0.0.1:9/hook',
    ]) {
      expect(output).toContain(part);
    }
  });

  it('says in one line that the port is in use and which variable changes it', () => {
    const port = new URL(baseUrl).port;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
      env: {
        ...process.env,
        PORT: port,
        DYNAMODB_ENDPOINT: dynamoEndpoint,
        TABLE_NAME: tableName,
        LOCAL_STREAM_READERS: 'off',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `Port ${port} is in use: set PORT to another port (PORT=0 picks a free one).`,
    );
  });

  it('refuses an unknown option by name', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/start.ts', '--data-dr', 'x'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe("Unknown option '--data-dr'. Run with --help for the options.");
  });
});
