import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { formatToken, newGrantId } from '#commons/domain/token-format.ts';
import { detailOf, waitForEvents } from '#test/support/events.ts';
import {
  call,
  clientCredentials,
  eventuallyGone,
  grantTokens,
  type HttpResponse,
  introspect,
  postForm,
  type RegisteredClient,
  recordSecrets,
  refresh,
  registerClient,
  type Tokens,
  testStore,
} from '#test/support/helpers.ts';

const revoke = (client: RegisteredClient, params: Record<string, string>) =>
  postForm('/oauth2/revoke', params, { auth: [client.clientId, client.clientSecret] });

/** A public client's revoke: client_id in the body, no secret. */
const revokeAsPublic = (client: RegisteredClient, token: string) =>
  postForm('/oauth2/revoke', { token, client_id: client.clientId });

/** A token of no known format: unknown without any read. */
const unknownToken = () => randomBytes(32).toString('base64url');

/** Tokens of the right format and checksum, naming `clientId`, that were never issued. */
const unissuedTokens = (clientId: string) => [
  formatToken({ kind: 'access', clientId }),
  formatToken({ kind: 'access', clientId, grantId: newGrantId() }),
  formatToken({ kind: 'refresh', clientId, grantId: newGrantId() }),
];

/** The grant a token names: the second dot-separated field after the 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1] as string;

function expectEmpty200(response: HttpResponse) {
  expect({ status: response.status, text: response.text }).toEqual({ status: 200, text: '' });
}

/** A new grant: its refresh token, its first access token and `n` more minted by refresh grants. */
async function family(client: RegisteredClient, n: number) {
  const first = await grantTokens(client);
  const rt = first.refresh_token;
  const children: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await refresh(client, rt);
    expect(response.status).toBe(200);
    children.push((response.json as Tokens).access_token);
  }
  return { rt, accessTokens: [first.access_token, ...children] };
}

const mintForPublic = (client: RegisteredClient) => grantTokens(client);

const activeFlags = (client: RegisteredClient, tokens: string[]) =>
  Promise.all(tokens.map(async (token) => (await introspect(client, token)).active));

/** DELETE /oauth/token: the bearer invalidation route, another place a dead token must be refused. */
const invalidate = (token: string) =>
  call('DELETE', '/oauth/token', { headers: { authorization: `Bearer ${token}` } });

describe('POST /oauth2/revoke outcomes', () => {
  it('revokes an access token: 200 with an empty body, and the token is no longer active', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expectEmpty200(await revoke(client, { token: tokens.access_token }));
    expect(await introspect(client, tokens.access_token)).toEqual({ active: false });
    expect((await invalidate(tokens.access_token)).status).toBe(403);
  });

  it('answers an unknown token, of the right format or not, with 200 and an empty body', async () => {
    const client = await registerClient();
    expectEmpty200(await revoke(client, { token: unknownToken() }));
    for (const token of unissuedTokens(client.clientId)) expectEmpty200(await revoke(client, { token }));
    // Never issued, so naming another client is no reason to refuse: there is no token to protect.
    const other = await registerClient();
    for (const token of unissuedTokens(other.clientId)) expectEmpty200(await revoke(client, { token }));
  });

  it('answers an already revoked token with 200 and an empty body', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    expectEmpty200(await revoke(client, { token: tokens.access_token }));
    expectEmpty200(await revoke(client, { token: tokens.access_token }));
    expectEmpty200(await revoke(client, { token: tokens.refresh_token }));
    expectEmpty200(await revoke(client, { token: tokens.refresh_token }));
    expect(await activeFlags(client, [tokens.access_token, tokens.refresh_token])).toEqual([false, false]);
  });

  it('answers an expired token with 200 and an empty body', async () => {
    const [client, other] = await Promise.all([
      registerClient({ accessTokenTtl: 1, refreshTokenTtl: 1 }),
      registerClient(),
    ]);
    const tokens = await grantTokens(client);
    const exp = (await introspect(client, tokens.refresh_token)).exp as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    expectEmpty200(await revoke(client, { token: tokens.access_token }));
    expectEmpty200(await revoke(client, { token: tokens.refresh_token }));
    // An expired token is nobody's any more: not even another client is told it exists.
    expectEmpty200(await revoke(other, { token: tokens.access_token }));
    expectEmpty200(await revoke(other, { token: tokens.refresh_token }));
  });

  it('rejects a request without token with 400 invalid_request', async () => {
    const client = await registerClient();
    const response = await revoke(client, { token_type_hint: 'access_token' });
    expect({ status: response.status, body: response.json }).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });
});

describe("another client's token", () => {
  it.each(['access_token', 'refresh_token'] as const)(
    'is refused to a confidential caller with 400 invalid_request, and the %s stays active',
    async (kind) => {
      const [owner, caller] = await Promise.all([registerClient(), registerClient()]);
      const tokens = await grantTokens(owner);
      const token = tokens[kind];
      const response = await revoke(caller, { token });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(response.json).toEqual({
        error: 'invalid_request',
        error_description: 'client is not authorized to revoke the presented token',
      });
      expect(await activeFlags(owner, [tokens.access_token, tokens.refresh_token])).toEqual([true, true]);
      expect((await refresh(owner, tokens.refresh_token)).status).toBe(200);
    },
  );

  it.each(['access_token', 'refresh_token'] as const)(
    'is a 200 no-op for a public caller, and the %s stays active',
    async (kind) => {
      const [owner, caller] = await Promise.all([
        registerClient(),
        registerClient({ public: true, grantTypes: ['refresh_token'] }),
      ]);
      const tokens = await grantTokens(owner);
      expectEmpty200(await revokeAsPublic(caller, tokens[kind]));
      expect(await activeFlags(owner, [tokens.access_token, tokens.refresh_token])).toEqual([true, true]);
    },
  );

  it("is a 200 no-op when a public client presents another public client's token", async () => {
    const [owner, caller, resourceServer] = await Promise.all([
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient(),
    ]);
    const tokens = await mintForPublic(owner);
    expectEmpty200(await revokeAsPublic(caller, tokens.refresh_token));
    expect(await activeFlags(resourceServer, [tokens.access_token, tokens.refresh_token])).toEqual([
      true,
      true,
    ]);
  });
});

describe('public clients', () => {
  it('revoke their own access and refresh tokens with client_id only', async () => {
    const [client, resourceServer] = await Promise.all([
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient(),
    ]);
    const first = await mintForPublic(client);
    const second = await mintForPublic(client);
    expectEmpty200(await revokeAsPublic(client, first.access_token));
    expectEmpty200(await revokeAsPublic(client, second.refresh_token));
    expect(
      await activeFlags(resourceServer, [
        first.access_token,
        first.refresh_token,
        second.access_token,
        second.refresh_token,
      ]),
    ).toEqual([false, true, false, false]);
  });
});

describe('token_type_hint', () => {
  const URN = 'urn:ietf:params:oauth:token-type:';
  const hints: [string, string, string][] = [
    ['token_type_hint', 'access_token', 'the right hint'],
    ['token_type_hint', 'refresh_token', 'the right hint'],
    ['token_type_hint', `${URN}access_token`, 'the URN form'],
    ['token_type_hint', `${URN}refresh_token`, 'the URN form'],
    ['token_type_hint', 'id_token', 'an unknown hint'],
    ['token_type_hint', 'ACCESS_TOKEN', 'an unknown hint'],
    ['token_type', 'access_token', 'the token_type alias'],
    ['token_type', 'refresh_token', 'the token_type alias'],
    ['token_type', `${URN}refresh_token`, 'the token_type alias in URN form'],
  ];
  const cases = (['access_token', 'refresh_token'] as const).flatMap((kind) =>
    hints.map(([name, value, label]) => {
      const right = value.endsWith(kind);
      const description = label === 'the right hint' && !right ? 'the wrong hint' : label;
      return [kind, name, value, description] as const;
    }),
  );

  it.each(cases)('revokes an %s given %s=%s (%s)', async (kind, name, value) => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    expectEmpty200(await revoke(client, { token: tokens[kind], [name]: value }));
    expect(await introspect(client, tokens[kind])).toEqual({ active: false });
    // Whatever the hint, the token's own kind decides: a refresh token takes its grant with it.
    expect(await activeFlags(client, [tokens.access_token, tokens.refresh_token])).toEqual(
      kind === 'access_token' ? [false, true] : [false, false],
    );
  });

  it('leaves a hinted unknown token a 200 no-op', async () => {
    const client = await registerClient();
    for (const value of ['access_token', 'refresh_token', 'bogus']) {
      expectEmpty200(await revoke(client, { token: unknownToken(), token_type_hint: value }));
    }
  });
});

describe('grant revocation', () => {
  it('revoking an access token leaves its refresh token and the other tokens of its grant active', async () => {
    const client = await registerClient();
    const { rt, accessTokens } = await family(client, 2);
    const [sibling0, target, sibling2] = accessTokens as [string, string, string];
    expectEmpty200(await revoke(client, { token: target, token_type_hint: 'access_token' }));
    expect(await activeFlags(client, [sibling0, target, sibling2, rt])).toEqual([true, false, true, true]);
    const refreshed = await refresh(client, rt);
    expect(refreshed.status).toBe(200);
    expect((await introspect(client, (refreshed.json as Tokens).access_token)).active).toBe(true);
  });

  it('revoking a refresh token revokes its whole grant: no token of it is active anywhere, other grants live on', async () => {
    const client = await registerClient();
    const { rt, accessTokens } = await family(client, 4);
    const otherGrant = await grantTokens(client);
    const bystander = await clientCredentials(client);
    expectEmpty200(await revoke(client, { token: rt }));

    expect(await activeFlags(client, [rt, ...accessTokens])).toEqual(
      new Array(accessTokens.length + 1).fill(false),
    );
    for (const token of accessTokens) {
      expect((await invalidate(token)).status).toBe(403);
    }
    const again = await refresh(client, rt);
    expect({ status: again.status, body: again.json }).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    // Only that grant: the client's other grant and its client_credentials token live on.
    expect(
      await activeFlags(client, [otherGrant.access_token, otherGrant.refresh_token, bystander.access_token]),
    ).toEqual([true, true, true]);
    expect((await refresh(client, otherGrant.refresh_token)).status).toBe(200);
    // The sweeper deletes the grant's token items, and only those.
    await eventuallyGone([rt, ...accessTokens]);
    expect(await activeFlags(client, [otherGrant.access_token, bystander.access_token])).toEqual([
      true,
      true,
    ]);
  });

  it('revoking a refresh token by its hint as an access token still revokes its grant', async () => {
    const client = await registerClient();
    const { rt, accessTokens } = await family(client, 2);
    expectEmpty200(await revoke(client, { token: rt, token_type_hint: 'access_token' }));
    expect(await activeFlags(client, [rt, ...accessTokens])).toEqual([false, false, false, false]);
  });

  it('revoking a refresh token already consumed by rotation revokes the whole grant, its successor included', async () => {
    const client = await registerClient({ refreshTokenRotation: true });
    const first = await grantTokens(client);
    const rotated = await refresh(client, first.refresh_token);
    expect(rotated.status).toBe(200);
    const second = rotated.json as Tokens & { refresh_token: string };
    expect(grantIdOf(second.refresh_token)).toBe(grantIdOf(first.refresh_token));
    expect(await activeFlags(client, [first.refresh_token, second.refresh_token])).toEqual([false, true]);

    expectEmpty200(await revoke(client, { token: first.refresh_token }));

    expect(
      await activeFlags(client, [
        first.access_token,
        first.refresh_token,
        second.access_token,
        second.refresh_token,
      ]),
    ).toEqual([false, false, false, false]);
    expect((await refresh(client, second.refresh_token)).status).toBe(400);
  });

  it('refuses, from the moment revoke returns, a token of the grant that no sweep could list', async () => {
    const client = await registerClient();
    const { rt, accessTokens } = await family(client, 1);
    const store = testStore();
    const sibling = await store.getToken(hashSecret(accessTokens[1] as string));
    if (!sibling) throw new Error('no token');
    expectEmpty200(await revoke(client, { token: rt }));
    // The suite's server sweeps this grant: the straggler is written once that sweep is over, so it stays.
    await waitForEvents(
      inject('eventsFile'),
      (e) => e.envelope['detail-type'] === 'sweep.completed' && detailOf(e).grantId === grantIdOf(rt),
    );
    // A token of the grant written after the revocation, as if the index had lagged behind the sweep:
    // the grant's mark, not the sweep, makes it inactive.
    const straggler = formatToken({ kind: 'access', clientId: client.clientId, grantId: grantIdOf(rt) });
    recordSecrets({ access_token: straggler });
    expect(await store.putAccessToken({ ...sibling, id: hashSecret(straggler), issuedAt: Date.now() })).toBe(
      true,
    );
    expect(await store.getToken(hashSecret(straggler))).toBeDefined();
    expect(await introspect(client, straggler)).toEqual({ active: false });
    expect((await invalidate(straggler)).status).toBe(403);
    expectEmpty200(await revoke(client, { token: straggler }));
  });

  it('makes every token of a grant inactive with the grant mark alone, before any sweep; revoke again is a no-op', async () => {
    const client = await registerClient();
    const { rt, accessTokens } = await family(client, 2);
    const store = testStore();
    const all = [rt, ...accessTokens];
    // The grant's revocation is its one write: the mark. Its tokens are swept afterwards.
    const mark = {
      actor: { type: 'client', id: client.clientId },
      at: Date.now(),
      reason: 'revoked',
    } as const;
    expect(await store.revokeGrant(grantIdOf(rt), mark)).toMatchObject({ grantId: grantIdOf(rt) });
    expect(await activeFlags(client, all)).toEqual([false, false, false, false]);
    expect((await refresh(client, rt)).status).toBe(400);
    for (const token of accessTokens) expect((await invalidate(token)).status).toBe(403);

    expectEmpty200(await revoke(client, { token: rt }));
    expect(await activeFlags(client, all)).toEqual([false, false, false, false]);
    await eventuallyGone(all);
  });
});
