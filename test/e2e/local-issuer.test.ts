/**
 * `npm run issuer`, the local walkthrough of docs/trusted-issuers.md: the tiny issuer's tokens, once it is
 * registered with the command its banner prints, pass `/demo/whoami`; after their holder revokes one,
 * the whole session (family) is refused. Also its command line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, call, postForm } from '#test/support/helpers.ts';
import { record } from '#test/support/trusted.ts';
import {
  IssuerHelp,
  issuerBanner,
  issuerSettings,
  type RunningLocalIssuer,
  startLocalIssuer,
} from '#tools/local/issuer.ts';

let issuer: RunningLocalIssuer;

beforeAll(async () => {
  issuer = await startLocalIssuer({ port: 0, alg: 'ES256', ttl: 3600 });
});

afterAll(() => {
  issuer.server.closeAllConnections();
  issuer.server.close();
});

const mint = async (query: string) => {
  const body = (await (await fetch(`${issuer.url}/token?${query}`)).json()) as {
    access_token: string;
    session: string;
  };
  record(body.access_token);
  return body;
};
const whoami = (token: string) =>
  call('GET', '/demo/whoami', { headers: { authorization: `Bearer ${token}` } });

describe('the local issuer walkthrough', () => {
  it('prints the registration its tokens need, and the rest of the session', () => {
    const banner = issuerBanner(issuer);
    expect(banner).toContain(`"issuer":"${issuer.url}","jwksUri":"${issuer.jwksUri}","familyClaim":"sid"`);
    expect(banner).toContain('$URL/admin/issuers');
    expect(banner).toContain('issuers register --issuer');
  });

  it('is registered as printed; its token passes /demo/whoami until a token of its session is revoked', async () => {
    const registration = await admin('POST', '/admin/issuers', {
      issuer: issuer.url,
      jwksUri: issuer.jwksUri,
      familyClaim: 'sid',
    });
    expect(registration.status).toBe(201);

    const first = await mint('sub=alice&scope=read&session=s1');
    const second = await mint('sub=alice&scope=read&session=s1');
    const other = await mint('sub=alice&scope=read');
    const before = await whoami(second.access_token);
    expect(before.status).toBe(200);
    expect(before.json).toEqual({ clientId: 'local-app', scope: 'read', sub: 'alice', iss: issuer.url });

    expect((await postForm('/oauth2/revoke', { token: first.access_token })).status).toBe(200);
    expect((await whoami(second.access_token)).status).toBe(401);
    expect((await whoami(first.access_token)).status).toBe(401);
    // Another session of the same user is untouched.
    expect((await whoami(other.access_token)).status).toBe(200);
  });

  it('takes its options from the command line, refusing unknown ones by name', () => {
    expect(issuerSettings({}, [])).toEqual({ port: 3100, alg: 'ES256', ttl: 3600 });
    expect(issuerSettings({ ISSUER_PORT: '4000' }, ['--alg', 'EdDSA'])).toEqual({
      port: 4000,
      alg: 'EdDSA',
      ttl: 3600,
    });
    expect(() => issuerSettings({}, ['--bogus'])).toThrow(/Unknown option '--bogus'/);
    expect(() => issuerSettings({}, ['--alg', 'HS256'])).toThrow(/--alg must be one of/);
    expect(() => issuerSettings({}, ['--help'])).toThrow(IssuerHelp);
  });
});
