import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  admin,
  grantTokens,
  type HttpResponse,
  introspect,
  type RegisteredClient,
  refresh,
  registerClient,
} from '#test/support/helpers.ts';

/** Grants raced per cut-off kind, and refreshes fired at each grant around its cut-off. */
const ROUNDS = 12;
const REFRESHES = 6;

/**
 * Fires REFRESHES refreshes of one grant's refresh token, spread over a few milliseconds, with the
 * cut-off call in the middle of them. Once every call has returned, no access token that any of the
 * refreshes minted may be active: whichever way they interleaved with the cut-off's write, they all
 * descend from a sign-in the cut-off covers.
 */
async function raceRound(client: RegisteredClient, cutOff: (subject: string) => Promise<{ status: number }>) {
  const subject = `race-${randomUUID()}`;
  const grant = await grantTokens(client, { subject });
  const refreshes: Promise<HttpResponse>[] = [];
  let cut: Promise<{ status: number }> | undefined;
  for (let i = 0; i < REFRESHES; i++) {
    if (i === REFRESHES / 2) cut = cutOff(subject);
    refreshes.push(refresh(client, grant.refresh_token));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const cutResponse = await (cut as Promise<{ status: number }>);
  expect(cutResponse.status).toBe(200);
  const minted = (await Promise.all(refreshes))
    .filter((response) => response.status === 200)
    .map((response) => (response.json as { access_token: string }).access_token);
  const active: string[] = [];
  for (const token of [grant.access_token, ...minted]) {
    if ((await introspect(client, token)).active === true) active.push(token.slice(0, 40));
  }
  return { minted: minted.length, active };
}

describe('cut-offs beat refreshes in flight', () => {
  it('no token minted by a refresh that overlapped a subject cut-off is active once the cut-off returned', async () => {
    const client = await registerClient();
    let minted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const outcome = await raceRound(client, (subject) =>
        admin('DELETE', `/admin/subjects/${encodeURIComponent(subject)}/tokens`),
      );
      minted += outcome.minted;
      expect(outcome.active).toEqual([]);
    }
    // The race is real only if some refreshes got through around the cut-off.
    expect(minted).toBeGreaterThan(0);
  });

  it('no token minted by a refresh that overlapped a client cut-off is active once the cut-off returned', async () => {
    let minted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // A client per round: its cut-off ends every grant it has.
      const client = await registerClient();
      const outcome = await raceRound(client, () =>
        admin('DELETE', `/admin/clients/${client.clientId}/tokens`),
      );
      minted += outcome.minted;
      expect(outcome.active).toEqual([]);
    }
    expect(minted).toBeGreaterThan(0);
  });

  it('a grant started after a subject cut-off is untouched by it, and so are its refreshed tokens', async () => {
    const client = await registerClient();
    const subject = `after-${randomUUID()}`;
    expect((await admin('DELETE', `/admin/subjects/${encodeURIComponent(subject)}/tokens`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const grant = await grantTokens(client, { subject });
    const refreshed = await refresh(client, grant.refresh_token);
    expect(refreshed.status).toBe(200);
    const token = (refreshed.json as { access_token: string }).access_token;
    expect((await introspect(client, token)).active).toBe(true);
    expect((await introspect(client, grant.access_token)).active).toBe(true);
  });
});
