import { beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  grantTokens,
  introspect,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
} from '#test/support/helpers.ts';

/**
 * `POST /admin/oauth2/{accesstokens,refreshtokens}/delete` with `{"token"}`: the DELETE routes with the
 * token out of the URL. Every answer must be the one the DELETE form gives for the same token.
 */
const APIGEE_NOT_FOUND = (message: string) => ({
  code: 'keymanagement.service.invalid_account_name',
  message,
  contexts: [],
});

const FORMS = {
  access: {
    post: '/admin/oauth2/accesstokens/delete',
    path: (token: string) => `/admin/oauth2/accesstokens/${encodeURIComponent(token)}`,
    notFound: 'Invalid Access Token',
  },
  refresh: {
    post: '/admin/oauth2/refreshtokens/delete',
    path: (token: string) => `/admin/oauth2/refreshtokens/${encodeURIComponent(token)}`,
    notFound: 'Invalid Refresh Token',
  },
} as const;
type Kind = keyof typeof FORMS;

const viaPost = (kind: Kind, token: unknown) => admin('POST', FORMS[kind].post, { token });
const viaDelete = (kind: Kind, token: string) => admin('DELETE', FORMS[kind].path(token));

/** Fields that differ between two tokens issued alike: the token itself, its times and its grant. */
const PER_TOKEN = new Set(['token', 'createdAt', 'issuedAt', 'expiresAt', 'lastModifiedAt', 'grantId']);
const alike = (profile: unknown) =>
  Object.fromEntries(Object.entries(profile as Record<string, unknown>).filter(([k]) => !PER_TOKEN.has(k)));

let resourceServer: RegisteredClient;
beforeAll(async () => {
  resourceServer = await registerClient({ name: 'resource server' });
});
const active = async (token: string) => (await introspect(resourceServer, token)).active === true;

/** A grant of the client: its access and refresh token (minted as a grant), one refresh on. */
async function grant(client: RegisteredClient): Promise<{ tokens: Tokens; refreshed: string }> {
  const tokens = await grantTokens(client, { scope: 'read' });
  const response = await refresh(client, tokens.refresh_token);
  expect(response.status).toBe(200);
  return { tokens, refreshed: (response.json as Tokens).access_token };
}

describe.each(['access', 'refresh'] as const)('POST delete of a %s token, JSON {"token"}', (kind) => {
  const { notFound } = FORMS[kind];
  const tokenOf = (g: { tokens: Tokens }) =>
    kind === 'access' ? g.tokens.access_token : (g.tokens.refresh_token ?? '');

  it('answers exactly what the DELETE form answers for a token issued alike', async () => {
    const client = await registerClient();
    const [a, b] = [await grant(client), await grant(client)];
    const byPath = await viaDelete(kind, tokenOf(a));
    const byBody = await viaPost(kind, tokenOf(b));
    expect([byPath.status, byBody.status]).toEqual([200, 200]);
    expect(Object.keys(byBody.json as object).sort()).toEqual(Object.keys(byPath.json as object).sort());
    expect(alike(byBody.json)).toEqual(alike(byPath.json));
    expect(byBody.json).toMatchObject({ clientId: client.clientId, status: 'revoked', token: tokenOf(b) });
    expect(byBody.headers.get('cache-control')).toBe('no-store');
  });

  it('revokes the token as the DELETE form does', async () => {
    const client = await registerClient();
    const g = await grant(client);
    expect((await viaPost(kind, tokenOf(g))).status).toBe(200);
    expect(await active(tokenOf(g))).toBe(false);
    if (kind === 'refresh') {
      // Its grant goes with it: the access tokens issued from it too.
      expect(await active(g.tokens.access_token)).toBe(false);
      expect(await active(g.refreshed)).toBe(false);
    } else {
      expect(await active(g.tokens.refresh_token ?? '')).toBe(true);
    }
  });

  it(`answers the Apigee 404 "${notFound}" for a token already deleted, by either form`, async () => {
    const client = await registerClient();
    const g = await grant(client);
    expect((await viaPost(kind, tokenOf(g))).status).toBe(200);
    for (const again of [await viaPost(kind, tokenOf(g)), await viaDelete(kind, tokenOf(g))]) {
      expect(again.status).toBe(404);
      expect(again.json).toEqual(APIGEE_NOT_FOUND(notFound));
    }
  });

  it('answers the Apigee 404 for an unknown, malformed or empty token, and for the other kind', async () => {
    const client = await registerClient();
    const g = await grant(client);
    const otherKind = kind === 'access' ? (g.tokens.refresh_token ?? '') : g.tokens.access_token;
    for (const token of ['dW5rbm93bi10b2tlbi10aGF0LXdhcy1uZXZlci1pc3N1ZWQ', 'not a token', '', otherKind]) {
      const response = await viaPost(kind, token);
      expect(response.status).toBe(404);
      expect(response.json).toEqual(APIGEE_NOT_FOUND(notFound));
    }
    expect(await active(otherKind)).toBe(true);
  });

  it('gives exactly one of a concurrent POST and DELETE of one token the 200', async () => {
    const client = await registerClient();
    for (let round = 0; round < 3; round++) {
      const token = tokenOf(await grant(client));
      const pair = await Promise.all([viaPost(kind, token), viaDelete(kind, token)]);
      expect(pair.map((r) => r.status).sort()).toEqual([200, 404]);
    }
  });

  it('refuses a body without a string "token" with 400 {"message"} naming the field', async () => {
    for (const body of [{}, { token: 42 }, { token: null }, { token: ['a'] }, { access_token: 'x' }]) {
      const response = await admin('POST', FORMS[kind].post, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json).toEqual({ message: expect.stringContaining('"token"') });
    }
  });

  it('refuses a body that is not a JSON object with 400 {"message"}', async () => {
    for (const body of [[], 'token']) {
      const response = await admin('POST', FORMS[kind].post, body);
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ message: 'request body must be a JSON object' });
    }
  });
});
