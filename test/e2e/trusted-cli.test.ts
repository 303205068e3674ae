/**
 * The admin CLI's `issuers` commands, run as users run them (`bin/admin.ts` in its own process) against
 * the suite's local server: registration of a Cognito user pool by its id, reading it back by issuer URL,
 * the list, each revocation command, and deletion.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#test/support/cli.ts';
import { baseUrl, introspect, type RegisteredClient, registerClient } from '#test/support/helpers.ts';
import { cognitoAccessToken, type SigningKey, signingKey } from '#test/support/trusted.ts';

/** Runs the CLI against the suite's server; its exit code, and stdout parsed as JSON. */
const cli = (...args: string[]) => runCli([...args, '--url', baseUrl]);

describe('revocation-admin issuers', () => {
  let resourceServer: RegisteredClient;
  let key: SigningKey;
  /** A user pool id of its own: the region is in it, and the issuer URL is made from both. */
  const pool = `us-east-1_${randomBytes(6).toString('hex')}`;
  const issuer = `https://cognito-idp.us-east-1.amazonaws.com/${pool}`;
  let issuerId: string;

  beforeAll(async () => {
    [resourceServer, key] = await Promise.all([registerClient(), signingKey('RS256')]);
  });

  it('registers a Cognito user pool by its id, with origin_jti as the family', async () => {
    // The pool's real JWK Set URL cannot be reached from the tests: the keys are given inline instead.
    const file = join(tmpdir(), `trusted-cli-jwks-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify({ keys: [key.jwk] }));
    try {
      const result = await cli(
        'issuers',
        'register',
        '--cognito-user-pool',
        pool,
        '--jwks-file',
        file,
        '--name',
        'pool',
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.json).toMatchObject({
        issuer,
        familyClaim: 'origin_jti',
        clientIdClaims: ['client_id'],
        jwks: { keys: [key.jwk] },
        name: 'pool',
      });
      issuerId = (result.json as { issuerId: string }).issuerId;
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('shows it by issuer URL, and finds it in the list', async () => {
    const got = await cli('issuers', 'get', issuer);
    expect(got.json).toMatchObject({ issuerId, issuer });
    const listed = await cli('issuers', 'list', '--limit', '100');
    expect(listed.code).toBe(0);
    expect(listed.json).toHaveProperty('issuers');
  });

  it('revokes a family, a token given whole, and a subject', async () => {
    const family = randomUUID();
    const inFamily = await cognitoAccessToken(key, issuer, { origin_jti: family });
    const whole = await cognitoAccessToken(key, issuer);
    const subject = randomUUID();
    const ofSubject = await cognitoAccessToken(key, issuer, {
      sub: subject,
      iat: Math.floor(Date.now() / 1000) - 2,
    });

    expect((await cli('issuers', 'revoke', issuerId, '--family', family)).json).toEqual({ issuerId, family });
    const byToken = await cli('issuers', 'revoke-token', issuer, whole);
    expect(byToken.code).toBe(0);
    expect((await cli('issuers', 'revoke-subject-tokens', issuer, subject)).json).toMatchObject({
      issuerId,
      subject,
    });

    for (const token of [inFamily, whole, ofSubject]) {
      expect(await introspect(resourceServer, token)).toEqual({ active: false });
    }
  });

  it('refuses revoke without --jti or --family as a usage error (exit 2), sending nothing', async () => {
    const result = await cli('issuers', 'revoke', issuerId);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--jti or --family/);
  });

  it('cuts off a client and the whole issuer, then deletes it', async () => {
    const token = await cognitoAccessToken(key, issuer, { iat: Math.floor(Date.now() / 1000) - 2 });
    expect((await cli('issuers', 'revoke-client-tokens', issuerId, 'cognito-app-client')).json).toMatchObject(
      {
        issuerId,
        clientId: 'cognito-app-client',
      },
    );
    expect(await introspect(resourceServer, token)).toEqual({ active: false });
    expect((await cli('issuers', 'revoke-tokens', issuer)).json).toMatchObject({ issuerId });
    expect((await cli('issuers', 'delete', issuer)).json).toEqual({ issuerId });
    expect((await cli('issuers', 'get', issuerId)).code).toBe(1);
  });
});
