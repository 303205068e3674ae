import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { detailOf, type ReceivedEvent, receivedEvents, waitForEvents } from '#test/support/events.ts';
import {
  dynamoEndpoint,
  eventuallyGone,
  grantTokens,
  introspect,
  postForm,
  refresh,
  registerClient,
  tableName,
  tokenItem,
} from '#test/support/helpers.ts';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';

const file = inject('eventsFile');
const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamoEndpoint));
afterAll(() => doc.destroy());

const ofGrant = (type: string, grantId: string) => (event: ReceivedEvent) =>
  event.envelope['detail-type'] === type && detailOf(event).grantId === grantId;

/**
 * Issue 15 item 2: a sweep that was lost (a crash, an outage past every retry) leaves a revoked grant's
 * tokens in the table, inactive but stored. Revoking the grant again sweeps it again: still one write, no
 * second revocation event, and the tokens are gone.
 */
describe('revoking an already revoked grant sweeps it again', () => {
  it('deletes what a lost sweep left behind, with no second revocation event', async () => {
    const client = await registerClient();
    const grant = await grantTokens(client, { subject: 'resweep-user' });
    const refreshed = await refresh(client, grant.refresh_token);
    expect(refreshed.status).toBe(200);
    // The grant's token items: its access tokens (the grant item holds its refresh token).
    const raws = [grant.access_token, (refreshed.json as { access_token: string }).access_token];
    const items = await Promise.all(raws.map(tokenItem));
    const revoke = () =>
      postForm(
        '/oauth2/revoke',
        { token: grant.refresh_token },
        { auth: [client.clientId, client.clientSecret] },
      );

    expect((await revoke()).status).toBe(200);
    await eventuallyGone(raws);
    const grantId = String(items[0]?.grantId);
    await waitForEvents(file, ofGrant('sweep.completed', grantId));

    // What a lost sweep would have left: the grant's token items, back in the table.
    for (const item of items) await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    expect((await Promise.all(raws.map(tokenItem))).every((item) => item !== undefined)).toBe(true);
    expect((await introspect(client, raws[1] as string)).active).toBe(false);

    expect((await revoke()).status).toBe(200);
    await eventuallyGone(raws);
    // One revocation, one sweep event: the second sweep recorded itself under the first one's id.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receivedEvents(file).filter(ofGrant('grant.revoked', grantId))).toHaveLength(1);
    expect(receivedEvents(file).filter(ofGrant('sweep.completed', grantId))).toHaveLength(1);
  });
});
