import { describe, expect, it } from 'vitest';
import { ENV } from '#commons/config.ts';
import { isSecretShaped, loggableId, redactSecrets } from '#commons/observability.ts';
import { displayPath, humanLine } from '#tools/local/pretty.ts';
import { HelpRequested, helpText, localSettings } from '#tools/local/start.ts';

const TOKEN = `rvk_at_client1.grant.subj.${'A1b2C3d4'.repeat(6)}`;
const SECRET = 'Zq3xV9bT2mK7pL4sN8wR1yH6cJ5dF0gA-_uEiOoPqWe'; // 43 characters, as minted
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('secret-shaped values in log lines', () => {
  it('redacts tokens, JWTs and random secrets, whole or cut, and keeps ids, UUIDs and ARNs', () => {
    for (const secret of [
      TOKEN,
      TOKEN.slice(0, 30),
      SECRET,
      JWT,
      `Basic ${Buffer.from(`c:${SECRET}`).toString('base64')}`,
    ]) {
      expect(isSecretShaped(secret)).toBe(true);
      expect(redactSecrets(`{"clientId":"${secret}"}`)).not.toContain(secret);
    }
    for (const safe of [
      'tzAi8Uf87FnHUY04rHqN8Q',
      '671b25ff-7c81-4591-b0b5-995978785b8f',
      '1-5759e988-bd862e3fe1be46a994272793',
      'arn:aws:iam::000000000000:user/local-admin',
      'arn:aws:dynamodb:ddblocal:000000000000:table/oauth-tokens-test/stream/2026-12-04T02:37:14.123',
    ]) {
      expect(isSecretShaped(safe)).toBe(false);
    }
    // A redacted JSON line stays JSON, escaped quotes included.
    expect(JSON.parse(redactSecrets(JSON.stringify({ v: `${TOKEN}"x` })))).toEqual({ v: '[redacted]"x' });
  });

  it('logs a claimed id as it is only when it looks like one, else a short hash', () => {
    expect(loggableId('my-client_1')).toBe('my-client_1');
    expect(loggableId(TOKEN)).toMatch(/^#[\w-]{10}$/);
    expect(loggableId(SECRET)).toMatch(/^#[\w-]{10}$/);
    expect(loggableId('has spaces and "quotes"')).toMatch(/^#[\w-]{10}$/);
    expect(loggableId('x'.repeat(129))).toMatch(/^#[\w-]{10}$/);
    expect(loggableId(TOKEN)).toBe(loggableId(TOKEN));
  });
});

describe('npm start output for people', () => {
  const base = { level: 'INFO', timestamp: '2026-12-04T02:37:14.123Z', service: 'token-revocation' };

  it('prints a request as time, method, path without query and tokens, status, ms and client id', () => {
    const line = humanLine(
      {
        ...base,
        message: 'request',
        route: 'DELETE /admin/access-tokens/{access_token}',
        status: 200,
        clientId: 'demo',
        durationMs: 12,
      },
      'INFO',
      {
        functionName: 'x',
        method: 'DELETE',
        path: `/admin/access-tokens/${encodeURIComponent(TOKEN)}?token=${TOKEN}`,
      },
    );
    expect(line).toBe('02:37:14 DELETE /admin/access-tokens/… 200 12 ms demo');
    expect(displayPath(`/oauth2/revoke?token=${TOKEN}`)).toBe('/oauth2/revoke');
  });

  it('prints events, sweeps and warnings in one line each, and nothing for audit and debug records', () => {
    expect(
      humanLine(
        {
          ...base,
          message: 'revocation event',
          event: { 'detail-type': 'token.revoked', detail: { clientId: 'demo' } },
        },
        'INFO',
        undefined,
      ),
    ).toBe('02:37:14 event token.revoked clientId=demo');
    expect(
      humanLine(
        { ...base, message: 'sweep completed', sweep: { of: 'grant.revoked', count: 3, durationMs: 9 } },
        'INFO',
        undefined,
      ),
    ).toBe('02:37:14 sweep grant.revoked: 3 tokens deleted in 9 ms');
    expect(
      humanLine(
        { ...base, message: 'client authentication failed', route: 'POST /oauth2/token', failures: 2 },
        'WARN',
        undefined,
      ),
    ).toBe('02:37:14 WARN client authentication failed route=POST /oauth2/token failures=2');
    expect(humanLine({ ...base, message: 'token revoked', audit: {} }, 'INFO', undefined)).toBeUndefined();
    expect(humanLine({ ...base, message: 'detail' }, 'DEBUG', undefined)).toBeUndefined();
  });

  it('refuses unknown options by name and lists every option and variable in --help', () => {
    expect(() => localSettings({}, ['--data-dr', 'x'])).toThrow("Unknown option '--data-dr'");
    expect(() => localSettings({}, ['stray'])).toThrow();
    expect(() => localSettings({}, ['--help'])).toThrow(HelpRequested);
    const help = helpText();
    for (const name of [
      ...Object.values(ENV)
        // AWS only: the stack sets them.
        .filter(
          (name) =>
            name !== ENV.eventBusName &&
            name !== ENV.eventsFailureQueueUrl &&
            name !== ENV.subjectKeySecretArn,
        ),
      '--data-dir',
      '--help',
      'PORT',
      'HOST',
      'DYNAMODB_LOCAL_PORT',
      'LOG_FORMAT',
      'PRINT_METRICS',
      'LOCAL_STREAM_READERS',
      'ADMIN_ACCESS_KEY_ID',
      'ADMIN_SECRET_ACCESS_KEY',
      'EVENTS_OUTBOX_DIR',
    ]) {
      expect(help).toContain(name);
    }
  });
});
