import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { startServer } from '#test/support/global-setup.ts';
import { ADMIN, basic, dynamoEndpoint, eventually, recordSecrets, runDir } from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { ensureTable, freePort } from '#tools/local/dynamodb-local.ts';
import { STREAM_READERS_SWITCH } from '#tools/local/start.ts';

/**
 * No event is lost (issue 15 item 3, issue 18 item 7): with the events webhook down, every event is still
 * logged when produced, each failed delivery's line names the target and the cause, and the events wait
 * in the outbox of the data directory until the webhook is back, across a restart of the server; then
 * each arrives exactly once per id.
 */
const stops: (() => void)[] = [];
afterAll(() => {
  for (const stop of stops) stop();
});

interface Received {
  readonly detailId: string;
  readonly tokenId?: string;
}

/** A webhook on `port` that records every event it gets (answering 204). */
async function webhook(port: number, received: Received[]): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ detailId: envelope.detail.id, tokenId: envelope.detail.tokenId });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  stops.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return server;
}

type Line = { message?: string; event?: { detail: { id: string; tokenId?: string } }; delivery?: never };

function lines(file: string): Line[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

/** A local server on its own table, with its data directory and the webhook URL. */
async function server(table: string, dataDir: string, webhookUrl: string, log: string) {
  const started = await startServer(
    {
      DYNAMODB_ENDPOINT: dynamoEndpoint,
      TABLE_NAME: table,
      EVENTS_WEBHOOK_URL: webhookUrl,
      LOG_FORMAT: 'json',
      [STREAM_READERS_SWITCH]: 'on',
    },
    log,
    ['--data-dir', dataDir],
  );
  stops.push(() => started.child.kill('SIGKILL'));
  return started;
}

/** Registers a client on `url` and revokes `count` of its access tokens; returns their token ids. */
async function revokeTokens(url: string, count: number, client?: { auth: string }) {
  let auth = client?.auth;
  if (auth === undefined) {
    const created = await adminRequest(url, 'POST', '/admin/clients', ADMIN, { body: { name: 'outbox' } });
    recordSecrets(created.json);
    const { clientId, clientSecret } = created.json as { clientId: string; clientSecret: string };
    auth = basic(clientId, clientSecret);
  }
  const form = async (path: string, body: Record<string, string>) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
      body: new URLSearchParams(body).toString(),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, string>;
    recordSecrets(json);
    return { status: response.status, json };
  };
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const issued = await form('/oauth2/token', { grant_type: 'client_credentials' });
    expect(issued.status).toBe(200);
    const token = issued.json.access_token ?? '';
    expect((await form('/oauth2/revoke', { token })).status).toBe(200);
    ids.push(hashSecret(token));
  }
  return { ids, auth };
}

/** Each token's event arrived, and every event id exactly once. */
async function expectEachOnce(received: Received[], tokenIds: readonly string[]) {
  await eventually(
    () => {
      const arrived = new Set(received.map((r) => r.tokenId));
      const missing = tokenIds.filter((id) => !arrived.has(id));
      if (missing.length > 0) throw new Error(`${missing.length} events not delivered yet`);
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  // Room for a duplicate to show up.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const perId = new Map<string, number>();
  for (const r of received) perId.set(r.detailId, (perId.get(r.detailId) ?? 0) + 1);
  expect([...perId.values()].filter((n) => n !== 1)).toEqual([]);
  expect(
    received
      .filter((r) => tokenIds.includes(r.tokenId ?? ''))
      .map((r) => r.tokenId)
      .sort(),
  ).toEqual([...tokenIds].sort());
}

describe('events while the webhook is down', () => {
  it('are logged at once, their failures name the target and cause, and each arrives once when it is up (30 s down)', async () => {
    const table = 'event-outbox-down';
    await ensureTable(dynamoEndpoint, table);
    const port = await freePort();
    const webhookUrl = `http://127.0.0.1:${port}/events?secret=not-for-logs`;
    const log = join(runDir, 'event-outbox-down.log');
    const downSince = Date.now();
    const { url } = await server(table, mkdtempSync(join(runDir, 'event-outbox-down-')), webhookUrl, log);
    const { ids } = await revokeTokens(url, 12);

    // Logged when produced, though none was delivered.
    const logged = await eventually(() => {
      const found = lines(log).filter((l) => l.message === 'revocation event');
      if (found.length < ids.length) throw new Error('not logged yet');
      return found;
    });
    expect(logged.map((l) => l.event?.detail.tokenId).sort()).toEqual([...ids].sort());
    const failures = lines(log).filter((l) => l.message === 'event delivery failed');
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.delivery).toMatchObject({
        target: `http://127.0.0.1:${port}/events`,
        cause: 'ECONNREFUSED',
      });
    }
    expect(readFileSync(log, 'utf8')).not.toContain('not-for-logs');

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - downSince))));
    const received: Received[] = [];
    await webhook(port, received);
    await expectEachOnce(received, ids);
  }, 90_000);

  it('survive a restart of the server on the same --data-dir and each arrives once', async () => {
    const table = 'event-outbox-restart';
    await ensureTable(dynamoEndpoint, table);
    const port = await freePort();
    const webhookUrl = `http://127.0.0.1:${port}/events`;
    const dataDir = mkdtempSync(join(runDir, 'event-outbox-restart-'));
    const firstLog = join(runDir, 'event-outbox-restart-1.log');
    const first = await server(table, dataDir, webhookUrl, firstLog);
    const before = await revokeTokens(first.url, 6);
    await eventually(() => {
      if (lines(firstLog).filter((l) => l.message === 'revocation event').length < 6)
        throw new Error('not yet');
    });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await server(table, dataDir, webhookUrl, join(runDir, 'event-outbox-restart-2.log'));
    const after = await revokeTokens(second.url, 6, { auth: before.auth });
    const received: Received[] = [];
    await webhook(port, received);
    await expectEachOnce(received, [...before.ids, ...after.ids]);
  }, 90_000);
});
