import { describe, expect, it } from 'vitest';
import { admin, call, registerClient } from '#test/support/helpers.ts';

const message = (json: unknown) => (json as { message?: string }).message;
interface Page {
  clients: Record<string, unknown>[];
  nextCursor?: string;
}

/** Every page of `GET /admin/clients`, following nextCursor. */
async function allPages(limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor !== undefined && { cursor }) });
    const response = await admin('GET', `/admin/clients?${query}`);
    expect(response.status).toBe(200);
    const page = response.json as Page;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages.length < 200);
  return pages;
}

/** Contract [v3]: `GET /admin/clients?limit=N&cursor=C`, and `GET /` as an index. */
describe('GET /admin/clients', () => {
  it('pages through every client, each as GET shows it, never with a secret', async () => {
    const mine = [
      await registerClient(),
      await registerClient({ public: true, grantTypes: ['refresh_token'] }),
    ];
    const gone = await registerClient();
    expect((await admin('DELETE', `/admin/clients/${gone.clientId}`)).status).toBe(200);
    const pages = await allPages(100);
    for (const page of pages) {
      expect(Object.keys(page).sort()).toEqual(
        page.nextCursor === undefined ? ['clients'] : ['clients', 'nextCursor'],
      );
      expect(page.clients.length).toBeLessThanOrEqual(100);
    }
    const listed = pages.flatMap((page) => page.clients);
    const ids = listed.map((client) => client.clientId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const client of mine) {
      const shown = await admin('GET', `/admin/clients/${client.clientId}`);
      expect(listed.find((c) => c.clientId === client.clientId)).toEqual(shown.json);
    }
    expect(ids).not.toContain(gone.clientId);
    for (const client of listed) {
      expect(client).not.toHaveProperty('clientSecret');
      expect(client).not.toHaveProperty('secretHash');
    }
  });

  it('takes limit 1 to 100 (default 50): small pages carry a cursor to the next', async () => {
    await registerClient();
    await registerClient();
    const first = await admin('GET', '/admin/clients?limit=1');
    expect(first.status).toBe(200);
    const page = first.json as Page;
    expect(page.clients).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await admin(
      'GET',
      `/admin/clients?limit=1&cursor=${encodeURIComponent(page.nextCursor ?? '')}`,
    );
    expect((second.json as Page).clients[0]?.clientId).not.toBe(page.clients[0]?.clientId);
    // Without a limit, pages of 50: make sure there are more than 50 clients.
    const total = (await allPages(100)).reduce((sum, p) => sum + p.clients.length, 0);
    for (let i = total; i <= 50; i++) await registerClient();
    const byDefault = (await admin('GET', '/admin/clients')).json as Page;
    expect(byDefault.clients).toHaveLength(50);
    expect(byDefault.nextCursor).toEqual(expect.any(String));
  });

  it('refuses a limit out of range, an unknown or repeated parameter and a foreign cursor, naming each', async () => {
    const cases: [string, string][] = [
      ['limit=0', '"limit" must be an integer from 1 to 100'],
      ['limit=101', '"limit" must be an integer from 1 to 100'],
      ['limit=ten', '"limit" must be an integer from 1 to 100'],
      ['limit=1.5', '"limit" must be an integer from 1 to 100'],
      ['page=2', '"page" is not a parameter of this route'],
      ['cursor=', '"cursor" must be the nextCursor of a previous page'],
      ['cursor=bm90LWEtY3Vyc29y%21', '"cursor" is not a cursor this API handed out'],
    ];
    for (const [query, expected] of cases) {
      const response = await admin('GET', `/admin/clients?${query}`);
      expect({ query, status: response.status, message: message(response.json) }).toEqual({
        query,
        status: 400,
        message: expected,
      });
    }
  });

  it('is refused without a signature', async () => {
    const response = await call('GET', '/admin/clients');
    expect(response.status).toBe(403);
    expect(response.json).toEqual({ message: 'Forbidden' });
  });
});

describe('GET /', () => {
  it('answers a small JSON index naming the metadata document and the documentation', async () => {
    const response = await call('GET', '/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const index = response.json as Record<string, string>;
    expect(index).toEqual({
      service: expect.stringContaining('RFC 7009'),
      issuer: expect.stringMatching(/^http:\/\/(localhost|127\.0\.0\.1):\d+$/),
      authorization_server_metadata: `${index.issuer}/.well-known/oauth-authorization-server`,
      documentation: expect.stringMatching(/^https:\/\//),
    });
    // The metadata URL it names answers, with the same issuer.
    const metadata = await call('GET', new URL(index.authorization_server_metadata ?? '').pathname);
    expect(metadata.status).toBe(200);
    expect(metadata.json).toMatchObject({ issuer: index.issuer });
  });
});
