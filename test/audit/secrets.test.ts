import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { PARTITION_KEY, SSF_ATTR, SSF_SET_KEY_PREFIX } from '#commons/schema.ts';
import { dynamoEndpoint, runDir, tableName } from '#test/support/helpers.ts';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';

/**
 * Runs after every other test (vitest project `audit`): every token and client secret the suite was
 * handed must be absent, in the clear, from the table and from everything the servers logged.
 */
const secrets = [...new Set(readFileSync(join(runDir, 'secrets.txt'), 'utf8').split('\n').filter(Boolean))];

async function scanTable(): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(localDynamoClient(dynamoEndpoint));
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  client.destroy();
  return items;
}

/** Waits until no server log has grown for 300 ms: the last lines may still be on their way to the file. */
async function settledLogs(): Promise<string> {
  let previous = -1;
  for (;;) {
    const text = logs();
    if (text.length === previous) return text;
    previous = text.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** A JWS compact serialization: a trusted issuer's token (the header and payload JSON objects). */
const JWT = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

const logs = () =>
  readdirSync(runDir)
    .filter((name) => name.endsWith('.log'))
    .map((name) => readFileSync(join(runDir, name), 'utf8'))
    .join('\n');

describe('secrets at rest and in logs, after the whole suite', () => {
  it('recorded the secrets the suite was handed', () => {
    // Guards the checks below against passing vacuously.
    expect(secrets.length).toBeGreaterThan(50);
  });

  it('stores no raw token or client secret, only their hashes', async () => {
    const items = await scanTable();
    expect(items.length).toBeGreaterThan(0);
    const dump = JSON.stringify(items);
    const leaked = secrets.filter((secret) => dump.includes(secret));
    expect(leaked).toEqual([]);
    // And the hashes are there: some secrets still live in the table under their hash.
    const keys = new Set(items.map((item) => item.pk));
    const stored = secrets.filter((secret) => keys.has(hashSecret(secret)));
    expect(stored.length).toBeGreaterThan(0);
  });

  it('stores no JWT of a trusted issuer, only what it names (ids, families, clients, subjects)', async () => {
    const items = await scanTable();
    // The one JWT the table may hold is a SET of the service's own, waiting for its Shared Signals
    // receiver: signed by the service, typed secevent+jwt, and never one the suite was handed.
    const sets = items.filter((item) => String(item[PARTITION_KEY]).startsWith(SSF_SET_KEY_PREFIX));
    for (const set of sets) {
      const header = JSON.parse(
        Buffer.from(String(set[SSF_ATTR.ssfJwt]).split('.')[0] ?? '', 'base64url').toString('utf8'),
      );
      expect(header.typ).toBe('secevent+jwt');
    }
    const others = items.map((item) =>
      String(item[PARTITION_KEY]).startsWith(SSF_SET_KEY_PREFIX) ? { ...item, [SSF_ATTR.ssfJwt]: '' } : item,
    );
    const dump = JSON.stringify(others);
    expect(secrets.filter((secret) => secret.startsWith('eyJ')).length).toBeGreaterThan(20);
    expect(secrets.filter((secret) => JSON.stringify(sets).includes(secret))).toEqual([]);
    expect(dump).not.toMatch(JWT);
  });

  it('publishes no raw token, client secret or JWT in any event', () => {
    const events = readFileSync(inject('eventsFile'), 'utf8');
    expect(events.length).toBeGreaterThan(1000);
    expect(secrets.filter((secret) => events.includes(secret))).toEqual([]);
    expect(events).not.toMatch(JWT);
  });

  it('logs no raw token, client secret or Authorization header', async () => {
    const text = await settledLogs();
    expect(text.length).toBeGreaterThan(1000);
    const leaked = secrets.filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
    expect(text).not.toMatch(
      /Basic [A-Za-z0-9+/]{8,}|Bearer [A-Za-z0-9\-._~+/]{8,}|AWS4-HMAC-SHA256 Credential/,
    );
    expect(text.toLowerCase()).not.toContain('"authorization"');
    expect(text).not.toMatch(JWT);
  });
});
