import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS } from '#commons/manifest.ts';
import {
  admin,
  basic,
  call,
  clientCredentials,
  grantTokens,
  logLines,
  registerClient,
  serverLog,
} from '#test/support/helpers.ts';

/** A route's path with every `{param}` filled with `value`, URL-encoded as a caller would send it. */
const pathWith = (path: string, value: string) => path.replace(/\{[^}]+\}/g, encodeURIComponent(value));

/**
 * Issue 15 item 4: live tokens and a live secret sent in every field of every route (path parameters,
 * query string, headers, form fields, JSON fields, a token as `client_id`) must not appear in any line
 * the server writes: values a caller supplies are logged only when they have the syntax of what they
 * claim to be, anything shaped like a credential never.
 */
describe('no secret-shaped value in any log line', () => {
  it('logs none of the live tokens and secrets sent in every field of every route', async () => {
    const client = await registerClient();
    const user = await grantTokens(client, { subject: 'log-secrets-user' });
    const service = await clientCredentials(client);
    const live = [user.access_token, user.refresh_token, service.access_token, client.clientSecret];
    const [token = '', refreshToken = '', , secret = ''] = live;
    const before = readFileSync(serverLog, 'utf8').length;

    for (const route of HTTP_FUNCTIONS) {
      const { method, path, auth } = route.trigger;
      for (const value of live) {
        // A 43-character string is a valid client name or opaque subject (pairwise subject identifiers are
        // exactly that), so the secret is not sent where the value is kept as data: it would be stored.
        const kept = value !== secret;
        if (!kept && path.includes('{subject}')) continue;
        const target = `${pathWith(path, value)}?token=${encodeURIComponent(value)}&client_id=${encodeURIComponent(value)}`;
        if (auth === 'iam') {
          const stored = kept ? { name: value, subject: value, sub_id: { format: 'opaque', id: value } } : {};
          const body = { ...stored, clientId: value, token: value, scope: value };
          await admin(method, target, method === 'GET' ? undefined : body);
          continue;
        }
        const form = new URLSearchParams({
          client_id: value,
          client_secret: secret,
          token: value,
          token_type_hint: value,
          grant_type: value,
          refresh_token: refreshToken,
          scope: value,
        });
        const headers = {
          'Content-Type': 'application/x-www-form-urlencoded',
          'User-Agent': value,
          'X-Forwarded-For': value,
        };
        // A token as the Basic user name, as the bearer, and as the body's client id.
        await call(method, target, {
          headers: { ...headers, Authorization: basic(value, secret) },
          ...(method !== 'GET' && { body: form }),
        });
        await call(method, target, {
          headers: { ...headers, Authorization: `Bearer ${value}` },
          ...(method !== 'GET' && { body: form }),
        });
        await call(method, target, { headers, ...(method !== 'GET' && { body: form }) });
      }
    }
    // The demo API behind the authorizer too, with a token in its path and query.
    await call('GET', `/demo/whoami/${encodeURIComponent(token)}?t=${encodeURIComponent(token)}`, {
      headers: { Authorization: `Bearer ${token}` },
    });

    // Every request above is one line at least; wait until they are all in the file.
    const sent = HTTP_FUNCTIONS.length * live.length;
    let written = '';
    for (let i = 0; i < 100; i++) {
      written = readFileSync(serverLog, 'utf8').slice(before);
      if (written.split('\n').length > sent) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(written.split('\n').length).toBeGreaterThan(sent);
    const leaked = live.filter((value) => written.includes(value)).map((value) => value.slice(0, 12));
    expect(leaked).toEqual([]);
    expect(written).not.toMatch(/rvk_(at|rt)_/);
    // The failed authentication of a token-as-client-id is still logged, under a fingerprint.
    const failures = logLines().filter((line) => line.message === 'client authentication failed');
    expect(failures.some((line) => /^#[A-Za-z0-9_-]{12}$/.test(String(line.clientId)))).toBe(true);
  });
});
