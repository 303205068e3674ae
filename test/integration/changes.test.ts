import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRevoke, deleteClient, revokeClientTokens, revokeSubjectTokens } from '#commons/domain/admin.ts';
import type { ClientRegistration } from '#commons/domain/clients.ts';
import { InvalidGrant } from '#commons/domain/errors.ts';
import {
  type RevocationEvent,
  type Revoker,
  revocationId,
  SWEEPER,
  sweepEventId,
} from '#commons/domain/events.ts';
import type { Client, Store } from '#commons/domain/model.ts';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { sweep } from '#commons/domain/sweep.ts';
import { issueTokens, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { resweepOf, revocationOf } from '#commons/store/changes.ts';
import { changeOf } from '#commons/stream/handler.ts';
import { issueGrant, storedClient } from '#test/support/grants.ts';
import { recordSecrets } from '#test/support/helpers.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';
import { keyOf, type StreamTable, streamTable } from '#test/support/table-stream.ts';

/**
 * `revocationOf` read against the records DynamoDB Local's stream really carries for each write the
 * store makes: every revocation is one write whose record reads back as the very event the domain
 * function returned (same id, actor, route and fields), and nothing else reads as a revocation.
 */
let table: StreamTable;
let store: Store;
const clock = () => Date.now();
const OPERATOR: Revoker = {
  actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/changes-test' },
  route: 'DELETE /admin/clients/{clientId}/tokens',
};

beforeAll(async () => {
  table = await streamTable('changes-test');
  store = table.store;
  // Whatever setting up the table wrote is not a test's.
  await recordsOf(async () => undefined);
});

afterAll(async () => {
  await table?.drop();
});

/** The stream records `write` made (see `StreamTable.recordsOf`). */
const recordsOf = (write: () => Promise<unknown>) => table.recordsOf(write);

/** The one record a revocation wrote, read back. */
async function oneRevocation(write: () => Promise<unknown>) {
  const records = await recordsOf(write);
  expect(records).toHaveLength(1);
  const [record] = records as [DynamoDBRecord];
  return { record, event: revocationOf(changeOf(record)) };
}

async function aClient(registration: Partial<ClientRegistration> = {}): Promise<Client> {
  return storedClient(store, clock, 'changes test', registration);
}

async function aGrant(client: Client, subject?: string) {
  const grant = await issueGrant(store, clock, client, subject);
  recordSecrets({ access_token: grant.accessRaw, refresh_token: grant.refreshRaw });
  return grant;
}

const noReuse = {
  onReuse: () => {
    throw new Error('no reuse expected');
  },
};

/** The id a revocation's event must carry: from its type, what it revoked and its instant. */
function expectIdOf(event: RevocationEvent | undefined, revoked: string) {
  expect(event?.id).toBe(revocationId(event?.type ?? 'token.revoked', revoked, event?.time ?? 0));
}

describe('revocationOf: each revocation is one write whose stream record reads back as its event', () => {
  it('token.revoked: a client revoking its access token (RFC 7009), the tombstone carrying no raw token', async () => {
    const client = await aClient();
    const grant = await aGrant(client, 'alice');
    let returned: RevocationEvent | undefined;
    const { record, event } = await oneRevocation(async () => {
      returned = (await revokeForClient(store, clock, client, grant.access, 'POST /oauth2/revoke'))?.event;
    });
    expect(record.eventName).toBe('MODIFY');
    expect(event).toEqual(returned);
    expect(event).toEqual({
      type: 'token.revoked',
      id: expect.any(String),
      time: expect.any(Number),
      actor: { type: 'client', id: client.clientId },
      route: 'POST /oauth2/revoke',
      tokenId: grant.access.id,
      clientId: client.clientId,
      grantId: grant.grantId,
      subject: 'alice',
      subjectKey: subjectKeyOf('alice'),
    });
    expectIdOf(event, grant.access.id);
    expect(JSON.stringify(record)).not.toContain(grant.accessRaw);
  });

  it('token.revoked: an operator deleting an access token (admin)', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    let returned: RevocationEvent | undefined;
    const route = 'DELETE /admin/oauth2/accesstokens/{access_token}';
    const { event } = await oneRevocation(async () => {
      returned = (await adminRevoke(store, clock, { ...OPERATOR, route }, 'access', grant.access)).event;
    });
    expect(event).toEqual(returned);
    expect(event).toMatchObject({
      type: 'token.revoked',
      actor: OPERATOR.actor,
      route,
      tokenId: grant.access.id,
    });
    expectIdOf(event, grant.access.id);
  });

  it('grant.revoked: a refresh token revoked (RFC 7009), with the refresh token presented', async () => {
    const client = await aClient();
    const grant = await aGrant(client, 'bob');
    let returned: RevocationEvent | undefined;
    const { record, event } = await oneRevocation(async () => {
      returned = (await revokeForClient(store, clock, client, grant.refresh, 'POST /oauth2/revoke'))?.event;
    });
    expect(keyOf(record)).toBe(`grant#${grant.grantId}`);
    expect(event).toEqual(returned);
    expect(event).toEqual({
      type: 'grant.revoked',
      id: expect.any(String),
      time: expect.any(Number),
      actor: { type: 'client', id: client.clientId },
      route: 'POST /oauth2/revoke',
      clientId: client.clientId,
      grantId: grant.grantId,
      subject: 'bob',
      subjectKey: subjectKeyOf('bob'),
      tokenId: grant.refresh.id,
    });
    expectIdOf(event, grant.grantId);
    expect(JSON.stringify(record)).not.toContain(grant.refreshRaw);
  });

  it('grant.revoked: an operator deleting a refresh token (admin)', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    let returned: RevocationEvent | undefined;
    const route = 'POST /admin/oauth2/refreshtokens/delete';
    const { event } = await oneRevocation(async () => {
      returned = (await adminRevoke(store, clock, { ...OPERATOR, route }, 'refresh', grant.refresh)).event;
    });
    expect(event).toEqual(returned);
    expect(event).toMatchObject({
      type: 'grant.revoked',
      actor: OPERATOR.actor,
      route,
      grantId: grant.grantId,
    });
    expectIdOf(event, grant.grantId);
  });

  it('refresh_token.reuse_detected: a consumed refresh token presented again, by the service', async () => {
    const client = await aClient({ refreshTokenRotation: true, refreshTokenReuseGraceSeconds: 0 });
    const grant = await aGrant(client);
    await refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse);
    let heard: RevocationEvent | undefined;
    const later = () => Date.now() + 1000;
    const { event } = await oneRevocation(async () => {
      await expect(
        refreshTokenGrant(store, later, client, grant.refresh, undefined, {
          route: 'POST /oauth2/token',
          onReuse: (e) => {
            heard = e;
          },
        }),
      ).rejects.toBeInstanceOf(InvalidGrant);
    });
    expect(event).toEqual(heard);
    expect(event).toMatchObject({
      type: 'refresh_token.reuse_detected',
      actor: { type: 'service', id: 'reuse-detection' },
      route: 'POST /oauth2/token',
      grantId: grant.grantId,
      tokenId: grant.refresh.id,
    });
    expectIdOf(event, grant.grantId);
  });

  it("client.tokens_revoked: a client's cut-off, and each later one", async () => {
    const client = await aClient();
    await aGrant(client);
    for (let i = 0; i < 2; i++) {
      let returned: RevocationEvent | undefined;
      const { event } = await oneRevocation(async () => {
        returned = await revokeClientTokens(store, () => Date.now() + i, OPERATOR, client.clientId);
      });
      expect(event).toEqual(returned);
      expect(event).toEqual({
        type: 'client.tokens_revoked',
        id: expect.any(String),
        time: returned?.time,
        actor: OPERATOR.actor,
        route: OPERATOR.route,
        clientId: client.clientId,
        tokensRevokedBefore: returned?.time,
      });
      expectIdOf(event, client.clientId);
    }
  });

  it('client.deleted: the client replaced by its tombstone', async () => {
    const client = await aClient();
    let returned: RevocationEvent | undefined;
    const route = 'DELETE /admin/clients/{clientId}';
    const { record, event } = await oneRevocation(async () => {
      returned = await deleteClient(store, clock, { ...OPERATOR, route }, client.clientId);
    });
    expect(record.eventName).toBe('MODIFY');
    expect(event).toEqual(returned);
    expect(event).toEqual({
      type: 'client.deleted',
      id: expect.any(String),
      time: returned?.time,
      actor: OPERATOR.actor,
      route,
      clientId: client.clientId,
    });
    expectIdOf(event, client.clientId);
  });

  it("subject.tokens_revoked: a subject's first cut-off (INSERT) and a later one (MODIFY)", async () => {
    const subject = `subject-${randomUUID()}`;
    const route = 'DELETE /admin/subjects/{subject}/tokens';
    for (const [i, eventName] of ['INSERT', 'MODIFY'].entries()) {
      let returned: RevocationEvent | undefined;
      const { record, event } = await oneRevocation(async () => {
        returned = await revokeSubjectTokens(
          store,
          () => Date.now() + i,
          { ...OPERATOR, route },
          subject,
          subjectKeyOf,
        );
      });
      expect(record.eventName).toBe(eventName);
      expect(event).toEqual(returned);
      expect(event).toEqual({
        type: 'subject.tokens_revoked',
        id: expect.any(String),
        time: returned?.time,
        actor: OPERATOR.actor,
        route,
        subject,
        subjectKey: subjectKeyOf(subject),
        tokensRevokedBefore: returned?.time,
      });
      expectIdOf(event, subjectKeyOf(subject));
    }
  });

  it("sweep.completed: the sweep's record, once per sweep, with the count and the revocation's ids", async () => {
    const client = await aClient();
    const grant = await aGrant(client, 'carol');
    await refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse);
    const revoked = (await revokeForClient(store, clock, client, grant.refresh))?.event;
    if (!revoked) throw new Error('not revoked');
    await recordsOf(async () => undefined);
    const records = await recordsOf(() => sweep(store, clock, revoked));
    // Two access token deletions (the grant item, holding the refresh token, stays), then the record.
    expect(records.map((r) => r.eventName)).toEqual(['REMOVE', 'REMOVE', 'INSERT']);
    const events = records.map((r) => revocationOf(changeOf(r)));
    expect(events.slice(0, 2)).toEqual([undefined, undefined]);
    expect(events[2]).toEqual({
      type: 'sweep.completed',
      id: sweepEventId(revoked.id),
      time: expect.any(Number),
      actor: SWEEPER,
      clientId: client.clientId,
      grantId: grant.grantId,
      subject: 'carol',
      count: 2,
    });
    // Run again (a retried batch), the record is rewritten: a MODIFY, which is no second event.
    const again = await recordsOf(() => sweep(store, () => Date.now() + 1, revoked));
    expect(again.map((r) => r.eventName)).toEqual(['MODIFY']);
    expect(again.map((r) => revocationOf(changeOf(r)))).toEqual([undefined]);
  });
});

describe('revocationOf: writes that revoke nothing read as no revocation', () => {
  const none = async (write: () => Promise<unknown>, expected: string[]) => {
    const records = await recordsOf(write);
    expect(records.map((r) => r.eventName)).toEqual(expected);
    expect(records.map((r) => revocationOf(changeOf(r)))).toEqual(expected.map(() => undefined));
  };

  it('a client created, a grant put, a token put, a refresh with and without rotation', async () => {
    let client: Client | undefined;
    await none(async () => {
      client = await aClient({ refreshTokenRotation: true });
    }, ['INSERT']);
    if (!client) throw new Error('no client');
    const c = client;
    let grant: Awaited<ReturnType<typeof aGrant>> | undefined;
    await none(async () => {
      grant = await aGrant(c, 'dave');
    }, ['INSERT', 'INSERT']);
    if (!grant) throw new Error('no grant');
    const g = grant;
    // Rotation: the new access token, then the grant's current refresh token moved on.
    await none(() => refreshTokenGrant(store, clock, c, g.refresh, undefined, noReuse), ['INSERT', 'MODIFY']);
    const plain = await aClient();
    const plainGrant = await aGrant(plain);
    // Without: the new access token and the grant's count, at once (either order).
    const records = await recordsOf(() =>
      refreshTokenGrant(store, clock, plain, plainGrant.refresh, undefined, noReuse),
    );
    expect(records.map((r) => r.eventName).sort()).toEqual(['INSERT', 'MODIFY']);
    expect(records.map((r) => revocationOf(changeOf(r)))).toEqual([undefined, undefined]);
    await none(
      () =>
        issueTokens(store, clock, plain, {
          scope: undefined,
          withRefreshToken: false,
          grantType: 'external',
        }),
      ['INSERT'],
    );
  });

  it("a client's secret rotated, before and after a cut-off", async () => {
    const client = await aClient();
    await none(
      () => store.rotateClientSecret(client.clientId, { secretHash: hashSecret('one') }),
      ['MODIFY'],
    );
    await revokeClientTokens(store, clock, OPERATOR, client.clientId);
    await recordsOf(async () => undefined);
    await none(
      () =>
        store.rotateClientSecret(client.clientId, {
          secretHash: hashSecret('two'),
          previousSecretExpiresAt: Date.now() + 60_000,
        }),
      ['MODIFY'],
    );
  });

  it('a second revocation of a token writes nothing; of a grant or a deleted client, only its re-sweep', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const mark = { ...OPERATOR, at: Date.now(), reason: 'revoked' } as const;
    expect((await oneRevocation(() => store.revokeGrant(grant.grantId, mark))).event?.type).toBe(
      'grant.revoked',
    );
    // A second revocation of the grant is no revocation, but asks for the first one's sweep again.
    const again = await recordsOf(async () => {
      expect(await store.revokeGrant(grant.grantId, { ...mark, at: mark.at + 1 })).toBeUndefined();
    });
    expect(again.map((r) => r.eventName)).toEqual(['MODIFY']);
    const [record] = again as [DynamoDBRecord];
    expect(revocationOf(changeOf(record))).toBeUndefined();
    expect(resweepOf(changeOf(record))).toMatchObject({
      type: 'grant.revoked',
      grantId: grant.grantId,
      time: mark.at,
    });
    expect((await oneRevocation(() => store.revokeToken(grant.access.id, mark))).event?.type).toBe(
      'token.revoked',
    );
    await none(async () => {
      expect(await store.revokeToken(grant.access.id, { ...mark, at: mark.at + 1 })).toBeUndefined();
    }, []);
    expect(
      (await oneRevocation(() => deleteClient(store, clock, OPERATOR, client.clientId))).event?.type,
    ).toBe('client.deleted');
    // Deleting the client again is no revocation either, but asks for the first deletion's sweep again.
    const deletedAgain = await recordsOf(async () => {
      expect(await deleteClient(store, clock, OPERATOR, client.clientId)).toBeUndefined();
      expect(await revokeClientTokens(store, clock, OPERATOR, client.clientId)).toBeUndefined();
    });
    expect(deletedAgain.map((r) => r.eventName)).toEqual(['MODIFY']);
    const [redelete] = deletedAgain as [DynamoDBRecord];
    expect(revocationOf(changeOf(redelete))).toBeUndefined();
    expect(resweepOf(changeOf(redelete))).toMatchObject({
      type: 'client.deleted',
      clientId: client.clientId,
    });
  });

  it("a sweep's deletions", async () => {
    const client = await aClient();
    await aGrant(client);
    await aGrant(client);
    await none(() => store.deleteTokensOfClient(client.clientId), ['REMOVE', 'REMOVE', 'REMOVE', 'REMOVE']);
  });
});
