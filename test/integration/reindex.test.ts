import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '#commons/domain/model.ts';
import { ATTR, CLIENT_KEY_PREFIX } from '#commons/schema.ts';
import { storedClient } from '#test/support/grants.ts';
import { dynamoEndpoint } from '#test/support/helpers.ts';
import { type StreamTable, streamTable } from '#test/support/table-stream.ts';
import { runReindex } from '#tools/cli/reindex.ts';

const clock = () => Date.now();
let table: StreamTable;

/** Runs `revocation-admin clients reindex` against the test's table; the exit code and what it printed. */
async function reindex(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReindex(args, {
    env: {},
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** A client as a version 2 deployment stored it: not in the registry index. */
async function olderClient(name: string): Promise<Client> {
  const client = await storedClient(table.store, clock, name);
  const item = await table.item(`${CLIENT_KEY_PREFIX}${client.clientId}`);
  const { [ATTR.registry]: _listed, ...unlisted } = item ?? {};
  await table.put(unlisted);
  return client;
}

const listedIds = async () => {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.store.listClients(100, cursor);
    ids.push(...page.clients.map((client) => client.clientId));
    cursor = page.cursor;
  } while (cursor);
  return ids;
};

beforeAll(async () => {
  table = await streamTable('reindex');
});
afterAll(async () => table?.drop());

/** Contract [v3] "Client listing": clients created before the upgrade are listed after one reindex. */
describe('revocation-admin clients reindex', () => {
  it('lists the older clients once, leaves deleted ones out, and changes nothing when run again', async () => {
    const older = [await olderClient('older one'), await olderClient('older two')];
    const gone = await olderClient('older, deleted');
    await table.store.deleteClient(gone.clientId, {
      actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/reindex-test' },
      at: clock(),
    });
    const newer = await storedClient(table.store, clock, 'newer');
    expect(await listedIds()).toEqual([newer.clientId]);

    const first = await reindex(
      '--table',
      table.tableName,
      '--endpoint',
      dynamoEndpoint,
      '--region',
      'us-east-1',
    );
    expect(first).toEqual({ code: 0, stdout: '{"reindexed":2}\n', stderr: '' });
    expect((await listedIds()).sort()).toEqual([newer, ...older].map((c) => c.clientId).sort());

    const again = await reindex(
      '--table',
      table.tableName,
      '--endpoint',
      dynamoEndpoint,
      '--region',
      'us-east-1',
    );
    expect(again).toEqual({ code: 0, stdout: '{"reindexed":0}\n', stderr: '' });
  });

  it('refuses a missing table and unknown options by name, with exit code 2', async () => {
    expect(await reindex()).toMatchObject({ code: 2, stdout: '' });
    expect((await reindex()).stderr).toMatch(/needs --table NAME/);
    const typo = await reindex('--tabel', 'x');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/--tabel/);
  });
});
