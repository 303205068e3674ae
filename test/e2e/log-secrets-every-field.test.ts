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
  waitForLog,
} from '#test/support/helpers.ts';

/**
 * Issue 15 item 4: a caller can put a live token or a secret in any field; none may reach a log line.
 * Every route gets the live values as client id (Basic and form), as every path parameter, in headers,
 * as every form and JSON field, as the query string; then the whole server output is scanned.
 */
describe('no secret-shaped value in any log line', () => {
  it('logs none of the live tokens and secrets sent in every field of every route', async () => {
    const client = await registerClient();
    const access = (await clientCredentials(client)).access_token;
    const grant = await grantTokens(client);
    const secrets = [access, grant.access_token, grant.refresh_token, client.clientSecret];
    const before = readFileSync(serverLog, 'utf8').length;
    const marker = `log-secrets-${crypto.randomUUID()}`;

    for (const live of secrets) {
      for (const route of HTTP_FUNCTIONS) {
        const path = route.trigger.path.replace(/\{\w+\}/g, encodeURIComponent(live));
        const form = new URLSearchParams({
          client_id: live,
          client_secret: live,
          token: live,
          token_type_hint: live,
          grant_type: live,
          refresh_token: live,
          scope: live,
        }).toString();
        const headers = {
          'content-type': 'application/x-www-form-urlencoded',
          'x-marker': marker,
          'x-forwarded-for': live,
          'user-agent': live,
          'idempotency-key': live,
        };
        const method = route.trigger.method;
        const hasBody = method !== 'GET';
        await call(method, `${path}?token=${encodeURIComponent(live)}`, {
          headers: { ...headers, authorization: basic(live, live) },
          ...(hasBody && { body: form }),
        });
        await call(method, path, {
          headers: { ...headers, authorization: `Bearer ${live}` },
          ...(hasBody && { body: form }),
        });
        // Form client authentication with the live value as client_id, as issue 15 found logged whole.
        if (hasBody) await call(method, path, { headers, body: form });
        // Not the client secret: a random string is a valid client name, and would then be stored as one.
        if (route.trigger.auth === 'iam' && hasBody && live !== client.clientSecret) {
          await admin(method, path, { clientId: live, name: live, subject: live, token: live });
        }
      }
    }
    // Claimed client ids that are not tokens but not ids either are hashed, not written as sent.
    const junk = `not an id ${marker} with spaces`;
    await call('POST', '/oauth2/introspect', {
      headers: { authorization: basic(junk, 'x'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=abc',
    });
    await waitForLog((lines) =>
      lines.some(
        (l) => l.message === 'client authentication failed' && l.route === 'POST /oauth2/introspect',
      ),
    );
    const output = readFileSync(serverLog, 'utf8').slice(before);
    expect(output.length).toBeGreaterThan(0);
    for (const live of secrets) {
      expect(output).not.toContain(live);
      // Nor any long piece of it (a cut token is still a credential to a scanner).
      expect(output).not.toContain(live.slice(0, 40));
      expect(output).not.toContain(live.slice(-40));
    }
    expect(output).not.toMatch(/rvk_(at|rt)_/);
    expect(output).not.toContain(junk);
    // The failures are still logged, with the hash in place of the claimed id.
    const failed = logLines().filter((l) => l.message === 'client authentication failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.some((l) => String(l.clientId).includes(' '))).toBe(false);
  });
});
