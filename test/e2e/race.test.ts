import { describe, expect, it } from 'vitest';
import {
  clientCredentials,
  type HttpResponse,
  introspect,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
} from '#test/support/helpers.ts';

const GRANTS = 32;

/**
 * Fires GRANTS refresh grants and one revoke of their refresh token at the same moment, the revoke at
 * `revokeAt` among them, then checks that nothing minted from the refresh token survived.
 */
async function raceRound(client: RegisteredClient, revokeAt: number): Promise<void> {
  const first = await clientCredentials(client);
  const rt = first.refresh_token as string;
  const grants: Promise<HttpResponse>[] = [];
  let revoke: Promise<HttpResponse> | undefined;
  for (let i = 0; i <= GRANTS; i++) {
    if (i === revokeAt) {
      revoke = postForm('/oauth2/revoke', { token: rt }, { auth: [client.clientId, client.clientSecret] });
    }
    if (i < GRANTS) grants.push(refresh(client, rt));
  }
  const [revoked, ...responses] = await Promise.all([revoke as Promise<HttpResponse>, ...grants]);
  expect({ status: revoked.status, text: revoked.text }).toEqual({ status: 200, text: '' });

  const outcomes = responses.map((r) => ({ status: r.status, error: (r.json as { error?: string }).error }));
  for (const outcome of outcomes) {
    expect([
      { status: 200, error: undefined },
      { status: 400, error: 'invalid_grant' },
    ]).toContainEqual(outcome);
  }

  const minted = responses.filter((r) => r.status === 200).map((r) => (r.json as Tokens).access_token);
  const states = await Promise.all([rt, first.access_token, ...minted].map((t) => introspect(client, t)));
  expect(states).toEqual(new Array(minted.length + 2).fill({ active: false }));
  const after = await refresh(client, rt);
  expect({ status: after.status, body: after.json }).toMatchObject({
    status: 400,
    body: { error: 'invalid_grant' },
  });
}

describe('refresh grants racing a revoke of their refresh token', () => {
  // The revoke early, in the middle and last among the grants, so it lands before, among and after them.
  it.each([GRANTS / 4, GRANTS / 2, GRANTS])(
    `leaves no access token active after ${GRANTS} concurrent refresh grants race one revoke (revoke sent after %i grants)`,
    async (revokeAt) => {
      await raceRound(await registerClient(), revokeAt);
    },
  );
});
