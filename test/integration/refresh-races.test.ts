import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findActiveToken } from '#commons/domain/activity.ts';
import { revokeClientTokens, revokeSubjectTokens } from '#commons/domain/admin.ts';
import { InvalidGrant } from '#commons/domain/errors.ts';
import type { Revoker } from '#commons/domain/events.ts';
import type { Client, PresentedToken } from '#commons/domain/model.ts';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { type Issued, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { GRANT_INDEX, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { issueGrant, storedClient } from '#test/support/grants.ts';
import { dynamoEndpoint, recordSecrets, tableName, testStore } from '#test/support/helpers.ts';
import { type SlowRelay, startSlowRelay } from '#test/support/slow-relay.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';

/**
 * Refreshes racing the writes that end them, against DynamoDB Local: no transaction decides these races
 * (a refresh is one read, the access token's put and one write to the grant), so each must be decided by
 * the activity rule every use applies, or by the grant write's condition.
 *
 * The revocations go through a relay that delivers their requests late: their instant is taken, then their
 * write lands a while after, the window in which a refresh reads the old state and mints.
 */
const store = testStore();
const clock = () => Date.now();
const OPERATOR: Revoker = {
  actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/race-test' },
  route: 'DELETE /admin/test',
};
/** How late the revocations' writes land. */
const LATE_MS = 80;
const ROUNDS = 3;
const GRANTS_PER_ROUND = 6;

let relay: SlowRelay;
let slowStore: DynamoStore;

beforeAll(async () => {
  relay = await startSlowRelay(dynamoEndpoint, LATE_MS);
  slowStore = new DynamoStore({ tableName, client: createDynamoClient({ endpoint: relay.endpoint }) });
});

afterAll(() => relay?.close());

const noReuse = {
  onReuse: () => {
    throw new Error('no reuse expected');
  },
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A refresh's outcome: the tokens it handed out, or the invalid_grant it answered. */
async function tryRefresh(client: Client, presented: PresentedToken): Promise<Issued | 'invalid_grant'> {
  try {
    const issued = await refreshTokenGrant(store, clock, client, presented, undefined, noReuse);
    recordSecrets(issued.response);
    return issued;
  } catch (error) {
    if (error instanceof InvalidGrant) return 'invalid_grant';
    throw error;
  }
}

/** The tokens handed out by the refreshes that succeeded. */
function handedOut(outcomes: readonly (Issued | 'invalid_grant')[]): PresentedToken[] {
  return outcomes.flatMap((outcome) =>
    outcome === 'invalid_grant'
      ? []
      : [outcome.response.access_token, outcome.response.refresh_token]
          .filter((raw): raw is string => raw !== undefined)
          .map(presentToken),
  );
}

async function activeOnes(tokens: readonly PresentedToken[]): Promise<string[]> {
  const states = await Promise.all(tokens.map((t) => findActiveToken(store, clock, t)));
  return states.flatMap((state) => (state ? [state.id] : []));
}

describe.each([false, true])('refreshes racing cut-offs (rotation %s)', (rotation) => {
  it.each(['client', 'subject'] as const)(
    'once a %s cut-off has returned, no token minted by a refresh that overlapped it is active',
    async (of) => {
      let minted = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const client = await storedClient(store, clock, 'race test', { refreshTokenRotation: rotation });
        const subject = `subject-${randomUUID()}`;
        const grants = await Promise.all(
          Array.from({ length: GRANTS_PER_ROUND }, () => issueGrant(store, clock, client, subject)),
        );
        for (const g of grants) recordSecrets({ access_token: g.accessRaw, refresh_token: g.refreshRaw });
        // The cut-off takes its instant now and lands LATE_MS later; the refreshes start across that window.
        const cut =
          of === 'client'
            ? revokeClientTokens(slowStore, clock, OPERATOR, client.clientId)
            : revokeSubjectTokens(slowStore, clock, OPERATOR, subject, subjectKeyOf);
        const refreshes = grants.map(async (g, i) => {
          await sleep((i * LATE_MS) / GRANTS_PER_ROUND);
          return tryRefresh(client, g.refresh);
        });
        await cut;
        const outcomes = await Promise.all(refreshes);
        const tokens = handedOut(outcomes);
        minted += tokens.length;
        // Every one of them overlapped the cut-off call (each started before it returned).
        expect(await activeOnes(tokens)).toEqual([]);
        expect(await activeOnes(grants.flatMap((g) => [g.access, g.refresh]))).toEqual([]);
      }
      // The race was run: refreshes read before the cut-off landed, and minted.
      expect(minted).toBeGreaterThan(0);
    },
  );
});

describe('refreshes racing a grant revocation', () => {
  it('leaves no access token of the grant active, whether written before or after the revocation landed', async () => {
    let minted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const client = await storedClient(store, clock, 'race test');
      const grant = await issueGrant(store, clock, client);
      recordSecrets({ access_token: grant.accessRaw, refresh_token: grant.refreshRaw });
      const revoked = revokeForClient(slowStore, clock, client, grant.refresh, 'POST /oauth2/revoke');
      const refreshes = Array.from({ length: GRANTS_PER_ROUND * 2 }, async (_, i) => {
        await sleep((i * LATE_MS * 1.5) / (GRANTS_PER_ROUND * 2));
        return tryRefresh(client, grant.refresh);
      });
      expect((await revoked)?.event.type).toBe('grant.revoked');
      const outcomes = await Promise.all(refreshes);
      minted += handedOut(outcomes).length;
      expect(await activeOnes(handedOut(outcomes))).toEqual([]);
      // Nor any token item the grant has, those nobody was handed included.
      const doc = DynamoDBDocumentClient.from(createDynamoClient({ endpoint: dynamoEndpoint }));
      const { Items = [] } = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: GRANT_INDEX.indexName,
          KeyConditionExpression: '#g = :g',
          ExpressionAttributeNames: { '#g': GRANT_INDEX.partitionKey },
          ExpressionAttributeValues: { ':g': grant.grantId },
        }),
      );
      const refs = { kind: 'access' as const, clientId: client.clientId, grantId: grant.grantId };
      // The suite's server sweeps this table too: items already swept are gone, which is as inactive as
      // it gets; whatever is still there must be inactive.
      const items = Items.map((item) => ({ id: String(item[PARTITION_KEY]), refs }));
      expect(await activeOnes(items)).toEqual([]);
    }
    expect(minted).toBeGreaterThan(0);
  });
});

describe('racing refreshes of one rotating refresh token', () => {
  it('lets exactly one of them win, every round, and detects no reuse among them', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const client = await storedClient(store, clock, 'race test', { refreshTokenRotation: true });
      const grant = await issueGrant(store, clock, client);
      recordSecrets({ access_token: grant.accessRaw, refresh_token: grant.refreshRaw });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => tryRefresh(client, grant.refresh)));
      const winners = outcomes.filter((o): o is Issued => o !== 'invalid_grant');
      expect(winners).toHaveLength(1);
      const winner = winners[0] as Issued;
      // The winner's tokens are active, the presented one consumed, and the grant still live.
      const tokens = handedOut([winner]);
      expect((await activeOnes(tokens)).sort()).toEqual(tokens.map((t) => t.id).sort());
      expect(await activeOnes([grant.refresh])).toEqual([]);
    }
  });
});
