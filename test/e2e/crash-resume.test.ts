import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { Client } from '#commons/domain/model.ts';
import { CLIENT_INDEX } from '#commons/schema.ts';
import { tokenToItem } from '#commons/store/items.ts';
import { startServer } from '#test/support/global-setup.ts';
import { tokenRecord } from '#test/support/grants.ts';
import { ADMIN, dynamoEndpoint, eventually, recordSecrets, runDir } from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { ensureTable, localDynamoClient } from '#tools/local/dynamodb-local.ts';
import { STREAM_READERS_SWITCH } from '#tools/local/start.ts';

/**
 * A crash mid-sweep (issue 15 item 2): the local server is killed (SIGKILL, no shutdown) while it sweeps
 * thousands of tokens, and started again on the same `--data-dir`. Its stream readers resume where they
 * stopped, so the revocation that was being swept is delivered again: no token item is left and the
 * `sweep.completed` event arrives.
 */
const TABLE = 'crash-resume';
const TOKENS = 4000;

let stop = () => {};
afterAll(() => stop());

async function loadTokens(clientId: string): Promise<void> {
  const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamoEndpoint));
  const client = { clientId } as Client;
  const clock = () => Date.now() - 1000;
  const batches = Array.from({ length: TOKENS / 25 }, () =>
    Array.from({ length: 25 }, () => ({
      PutRequest: { Item: tokenToItem(tokenRecord(client, clock, 'access')) },
    })),
  );
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let requests = batches[next++] ?? [];
      while (requests.length > 0) {
        const result = await doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }));
        requests = (result.UnprocessedItems?.[TABLE] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  doc.destroy();
}

async function countTokens(raw: DynamoDBClient, clientId: string): Promise<number> {
  let count = 0;
  let startKey: QueryCommand['input']['ExclusiveStartKey'];
  do {
    const page = await raw.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: CLIENT_INDEX.indexName,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': CLIENT_INDEX.partitionKey },
        ExpressionAttributeValues: { ':v': { S: clientId } },
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** Event lines (`revocation event`) of a server log. */
function events(file: string): { 'detail-type': string; detail: { clientId?: string; count?: number } }[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('revocation event'))
    .map((line) => (JSON.parse(line) as { event: never }).event);
}

describe('the local server killed mid-sweep', () => {
  it('finishes the sweep after a restart on the same --data-dir: no token left, sweep.completed arrives', async () => {
    await ensureTable(dynamoEndpoint, TABLE);
    const dataDir = mkdtempSync(join(runDir, 'crash-resume-'));
    const env = {
      DYNAMODB_ENDPOINT: dynamoEndpoint,
      TABLE_NAME: TABLE,
      LOG_FORMAT: 'json',
      [STREAM_READERS_SWITCH]: 'on',
    };
    const firstLog = join(runDir, 'crash-resume-1.log');
    const first = await startServer(env, firstLog, ['--data-dir', dataDir]);
    stop = () => first.child.kill('SIGKILL');
    const created = await adminRequest(first.url, 'POST', '/admin/clients', ADMIN, {
      body: { name: 'crash' },
    });
    recordSecrets(created.json);
    const { clientId } = created.json as { clientId: string };
    await loadTokens(clientId);
    const raw = localDynamoClient(dynamoEndpoint);
    expect(await countTokens(raw, clientId)).toBe(TOKENS);

    const revoked = await adminRequest(first.url, 'DELETE', `/admin/clients/${clientId}/tokens`, ADMIN);
    expect(revoked.status).toBe(200);
    // Mid-sweep: some tokens gone, not all.
    const left = await eventually(
      async () => {
        const count = await countTokens(raw, clientId);
        if (count === TOKENS) throw new Error('the sweep has not started');
        return count;
      },
      { timeoutMs: 20_000, intervalMs: 5 },
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const afterKill = await countTokens(raw, clientId);
    expect(left).toBeGreaterThan(0);
    expect(afterKill).toBeGreaterThan(0);
    const completed = (file: string) =>
      events(file).filter((e) => e['detail-type'] === 'sweep.completed' && e.detail.clientId === clientId);
    expect(completed(firstLog)).toEqual([]);

    const secondLog = join(runDir, 'crash-resume-2.log');
    const second = await startServer(env, secondLog, ['--data-dir', dataDir]);
    stop = () => second.child.kill('SIGTERM');
    await eventually(
      async () => {
        const count = await countTokens(raw, clientId);
        if (count > 0) throw new Error(`${count} token items left`);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const [sweep] = await eventually(
      () => {
        const found = completed(secondLog);
        if (found.length === 0) throw new Error('no sweep.completed yet');
        return found;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(sweep?.detail.count).toBeGreaterThan(0);
    raw.destroy();
  }, 90_000);
});
