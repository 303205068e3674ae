import { describe, expect, it } from 'vitest';
import {
  grantTokens,
  type HttpResponse,
  introspect,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
} from '#test/support/helpers.ts';

const GRANTS = 32;

/** How often a revoke answered 503 is retried (the contract makes a retry safe). */
const REVOKE_ATTEMPTS = 5;

type Outcome = { status: number; error: string | undefined };
const outcomeOf = (r: HttpResponse): Outcome => ({
  status: r.status,
  error: (r.json as { error?: string }).error,
});

/** The grant a token names: the second dot-separated field after the 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1] as string;

/**
 * Starts a grant, fires GRANTS refresh grants of its refresh token and one revoke of that refresh token at
 * the same moment, the revoke at `revokeAt` among them, then checks that no token of the grant is active:
 * a refresh that committed before the grant's revocation mark is revoked with the grant, and one that comes
 * after it may not write (the grant must be live in the refresh's transaction).
 */
async function raceRound(client: RegisteredClient, revokeAt: number): Promise<void> {
  const first = await grantTokens(client);
  const rt = first.refresh_token;
  const grantId = grantIdOf(rt);
  const grants: Promise<HttpResponse>[] = [];
  let revoke: Promise<HttpResponse> | undefined;
  for (let i = 0; i <= GRANTS; i++) {
    if (i === revokeAt) {
      revoke = postForm('/oauth2/revoke', { token: rt }, { auth: [client.clientId, client.clientSecret] });
    }
    if (i < GRANTS) grants.push(refresh(client, rt));
  }
  let [revoked, ...responses] = await Promise.all([revoke as Promise<HttpResponse>, ...grants]);
  // 33 requests at once on a loaded machine can outlast DynamoDB Local's deadlines; the contract answers
  // that with 503 and makes the retry safe, so the revoke is retried as a client would.
  for (let attempt = 1; revoked.status === 503 && attempt < REVOKE_ATTEMPTS; attempt++) {
    expect(outcomeOf(revoked)).toEqual({ status: 503, error: 'temporarily_unavailable' });
    revoked = await postForm(
      '/oauth2/revoke',
      { token: rt },
      { auth: [client.clientId, client.clientSecret] },
    );
  }
  expect({ status: revoked.status, text: revoked.text }).toEqual({ status: 200, text: '' });

  const outcomes = responses.map(outcomeOf);
  for (const outcome of outcomes) {
    expect([
      { status: 200, error: undefined },
      { status: 400, error: 'invalid_grant' },
      // DynamoDB Local too slow to answer within the deadline (see above): nothing was handed out.
      { status: 503, error: 'temporarily_unavailable' },
    ]).toContainEqual(outcome);
  }
  // The race is only a race if the service answered most of it.
  expect(outcomes.filter((o) => o.status !== 503).length).toBeGreaterThan(GRANTS / 2);

  const successes = responses.filter((r) => r.status === 200).map((r) => r.json as Tokens);
  // Without rotation no refresh hands out a new refresh token: the grant's only refresh token is `rt`.
  expect(successes.filter((t) => t.refresh_token !== undefined && t.refresh_token !== rt)).toEqual([]);
  const minted = successes.map((t) => t.access_token);
  for (const token of minted) expect(grantIdOf(token)).toBe(grantId);

  // Every token the grant ever had: 0 of them active.
  const states = await Promise.all([rt, first.access_token, ...minted].map((t) => introspect(client, t)));
  expect(states.filter((state) => state.active !== false)).toEqual([]);
  expect(states).toHaveLength(minted.length + 2);
  const after = await refresh(client, rt);
  expect({ status: after.status, body: after.json }).toMatchObject({
    status: 400,
    body: { error: 'invalid_grant' },
  });
}

describe('refresh grants racing a revoke of their refresh token', () => {
  // The revoke early, in the middle and last among the grants, so it lands before, among and after them.
  it.each([GRANTS / 4, GRANTS / 2, GRANTS])(
    `leaves no token of the grant active after ${GRANTS} concurrent refresh grants race one revoke (revoke sent after %i grants)`,
    async (revokeAt) => {
      // A confidential client without rotation: every refresh races on the same, still usable, token.
      const client = await registerClient();
      expect(client.refreshTokenRotation).toBe(false);
      await raceRound(client, revokeAt);
    },
  );
});
