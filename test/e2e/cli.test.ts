import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsUsersDo } from '#test/support/cli.ts';
import {
  ADMIN,
  baseUrl,
  clientCredentials,
  grantTokens,
  introspect,
  postForm,
  type RegisteredClient,
  registerClient,
  waitForLog,
} from '#test/support/helpers.ts';
import { type Relay, startRelay } from '#test/support/relay.ts';
import { resolveTarget } from '#tools/cli/target.ts';

const cli = runCli;

/** The CLI against the suite's local server (target options may come before the command). */
const local = (...args: string[]) => cli(['--url', baseUrl, ...args]);

/** The grant id a v2 token names: the second dot-separated field after its 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1] ?? '';

/**
 * A client with one grant: an access token and the refresh token it was issued with (client_credentials
 * issues no refresh token, RFC 6749 4.4.3).
 */
async function clientWithTokens(): Promise<{ client: RegisteredClient; access: string; refresh: string }> {
  const client = await registerClient();
  const tokens = await grantTokens(client, { scope: 'read' });
  return { client, access: tokens.access_token, refresh: tokens.refresh_token };
}

let relay: Promise<Relay> | undefined;
afterAll(async () => (await relay)?.cut());

/**
 * The local server under a host the CLI does not treat as local: a relay on 127.0.0.2 (Linux routes all
 * of 127.0.0.0/8 to loopback), since the server itself listens on 127.0.0.1 only.
 */
async function nonLocalUrl(): Promise<string> {
  relay ??= startRelay(baseUrl.replace('//localhost:', '//127.0.0.1:'), '127.0.0.2');
  return `http://127.0.0.2:${(await relay).port}`;
}

// Each test's time includes its wait for a CLI slot (two CLI processes at a time on two cores, each ~2 s to
// start): on a loaded machine the last tests of the file wait longest.
describe.concurrent('admin CLI', { timeout: 150_000 }, () => {
  it('clients create registers a confidential client and prints it with its secret', async () => {
    const result = await local(
      'clients',
      'create',
      '--name',
      'cli app',
      '--grant-types',
      'client_credentials,refresh_token',
      '--scopes',
      'read,write',
      '--access-token-ttl',
      '120',
      '--refresh-token-ttl',
      '3600',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const client = result.json as RegisteredClient;
    expect(client).toMatchObject({
      name: 'cli app',
      public: false,
      grantTypes: ['client_credentials', 'refresh_token'],
      scopes: ['read', 'write'],
      accessTokenTtl: 120,
      refreshTokenTtl: 3600,
      // The v2 settings, at their confidential-client defaults.
      refreshTokenRotation: false,
      refreshTokenReuseGraceSeconds: 10,
    });
    expect(client.clientSecret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    // The printed credentials are real: the client can get tokens with them.
    expect(await clientCredentials(client, 'write')).toMatchObject({ scope: 'write', expires_in: 120 });

    const shown = await local('clients', 'get', client.clientId);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    const { clientSecret: _secret, ...withoutSecret } = client;
    expect(shown.json).toEqual(withoutSecret);
  });

  it('clients list prints a page of clients without secrets, and --cursor the next page', async () => {
    await registerClient();
    await registerClient();
    const first = await local('clients', 'list', '--limit', '1');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const page = first.json as { clients: Record<string, unknown>[]; nextCursor?: string };
    expect(page.clients).toHaveLength(1);
    expect(page.clients[0]).not.toHaveProperty('clientSecret');
    const next = await local('clients', 'list', '--limit', '1', '--cursor', page.nextCursor ?? '');
    expect(next).toMatchObject({ code: 0, stderr: '' });
    expect((next.json as typeof page).clients[0]?.clientId).not.toBe(page.clients[0]?.clientId);
    const bad = await local('clients', 'list', '--limit', 'lots');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--limit') });
  });

  it('clients create --idempotency-key run again prints the client it created, without the secret', async () => {
    const key = `cli-${crypto.randomUUID()}`;
    const args = ['clients', 'create', '--name', 'cli retry', '--scopes', 'read', '--idempotency-key', key];
    const first = await local(...args);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const created = first.json as RegisteredClient;
    expect(created.clientSecret).toEqual(expect.any(String));
    const again = await local(...args);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    const { clientSecret: _secret, ...withoutSecret } = created;
    expect(again.json).toEqual(withoutSecret);

    const changed = await local('clients', 'create', '--name', 'another', '--idempotency-key', key);
    expect(changed).toMatchObject({ code: 1, stdout: '' });
    expect(changed.stderr).toMatch(/^revocation-admin: Idempotency-Key .* \(HTTP 422\)\n$/);
  });

  it('clients create --rotate-refresh-tokens --reuse-grace sets rotation and its grace', async () => {
    const result = await local(
      'clients',
      'create',
      '--name',
      'rotating',
      '--grant-types',
      'refresh_token',
      '--rotate-refresh-tokens',
      '--reuse-grace',
      '0',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toMatchObject({ refreshTokenRotation: true, refreshTokenReuseGraceSeconds: 0 });
  });

  it('subjects revoke-tokens and subjects global-revoke revoke every token of a subject', async () => {
    const client = await registerClient();
    const subject = `cli-${Math.random().toString(36).slice(2)}`;
    const first = await grantTokens(client, { subject });
    const revoked = await local('subjects', 'revoke-tokens', subject);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(Object.keys(revoked.json as object).sort()).toEqual(['subject', 'tokensRevokedBefore']);
    expect((await introspect(client, first.access_token)).active).toBe(false);

    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = await grantTokens(client, { subject });
    expect((await introspect(client, second.access_token)).active).toBe(true);
    const global = await local('subjects', 'global-revoke', subject);
    expect(global).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await introspect(client, second.access_token)).active).toBe(false);
    const wrongIssuer = await local(
      'subjects',
      'global-revoke',
      subject,
      '--iss',
      'https://elsewhere.example',
    );
    expect(wrongIssuer.code).not.toBe(0);
    expect(wrongIssuer.stderr).toContain('invalid_request');
  });

  it('clients create --public registers a client without a secret', async () => {
    const result = await local('clients', 'create', '--name', 'cli spa', '--public', '--scopes', 'read');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toMatchObject({
      public: true,
      grantTypes: ['refresh_token'],
      scopes: ['read'],
      refreshTokenRotation: true,
    });
    expect(result.json).not.toHaveProperty('clientSecret');
  });

  it('tokens mint issues tokens for a subject that introspect as active', async () => {
    const client = await registerClient();
    const result = await local(
      'tokens',
      'mint',
      '--client-id',
      client.clientId,
      '--subject',
      'alice',
      '--scope',
      'read write',
      '--refresh-token',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const tokens = result.json as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read write', expires_in: 3600 });
    const access = String(tokens.access_token);
    const refresh = String(tokens.refresh_token);
    expect(access).toMatch(/^rvk_at_[A-Za-z0-9._-]+$/);
    expect(refresh).toMatch(/^rvk_rt_[A-Za-z0-9._-]+$/);
    // One new grant holds both.
    expect(grantIdOf(access)).toBe(grantIdOf(refresh));
    for (const token of [access, refresh]) {
      expect(await introspect(client, token)).toMatchObject({
        active: true,
        sub: 'alice',
        client_id: client.clientId,
        scope: 'read write',
      });
    }
  });

  it('tokens delete-access deletes the access token and prints its profile', async () => {
    const { client, access, refresh } = await clientWithTokens();
    const result = await local('tokens', 'delete-access', access);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toMatchObject({
      clientId: client.clientId,
      status: 'revoked',
      token: access,
      tokenType: 'BearerToken',
      scope: 'read',
    });
    expect(await introspect(client, access)).toEqual({ active: false });
    expect(await introspect(client, refresh)).toMatchObject({ active: true });
    // The token went in the body, not the URL: the request was the POST form's.
    await waitForLog((lines) =>
      lines.some(
        (l) =>
          l.route === 'POST /admin/oauth2/accesstokens/delete' &&
          l.status === 200 &&
          l.clientId === client.clientId,
      ),
    );

    const again = await local('tokens', 'delete-access', access);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toBe('revocation-admin: Invalid Access Token (HTTP 404)\n');
  });

  it('tokens delete-refresh revokes the refresh token with its whole grant and prints its profile', async () => {
    const { client, access, refresh } = await clientWithTokens();
    const refreshed = await postForm(
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: refresh },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(refreshed.status).toBe(200);
    const later = (refreshed.json as { access_token: string }).access_token;
    // A token that starts with '-' is passed after '--'; any token may be.
    const result = await local('tokens', 'delete-refresh', '--', refresh);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toMatchObject({
      clientId: client.clientId,
      status: 'revoked',
      token: refresh,
      refreshCount: 1,
      grantId: grantIdOf(refresh),
    });
    expect(result.json).not.toHaveProperty('revokedAccessTokens');
    for (const token of [refresh, access, later]) {
      expect(await introspect(client, token)).toEqual({ active: false });
    }
    await waitForLog((lines) =>
      lines.some(
        (l) =>
          l.route === 'POST /admin/oauth2/refreshtokens/delete' &&
          l.status === 200 &&
          l.clientId === client.clientId,
      ),
    );
  });

  it('clients rotate-secret prints a new secret; the old one works for --grace seconds, else stops at once', async () => {
    const [graced, cut, publicClient] = await Promise.all([
      registerClient(),
      registerClient(),
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
    ]);
    const [withGrace, withoutGrace, refused, badGrace] = await Promise.all([
      local('clients', 'rotate-secret', graced.clientId, '--grace', '3600'),
      local('clients', 'rotate-secret', cut.clientId),
      local('clients', 'rotate-secret', publicClient.clientId),
      local('clients', 'rotate-secret', cut.clientId, '--grace', '1h'),
    ]);
    for (const [result, client] of [
      [withGrace, graced],
      [withoutGrace, cut],
    ] as const) {
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const json = result.json as { clientId: string; clientSecret: string };
      expect(Object.keys(json).sort()).toEqual(['clientId', 'clientSecret']);
      expect(json.clientId).toBe(client.clientId);
      // The printed secret is real: the client gets tokens with it.
      expect(await clientCredentials({ ...client, clientSecret: json.clientSecret })).toMatchObject({
        token_type: 'Bearer',
      });
    }
    expect(await clientCredentials(graced)).toMatchObject({ token_type: 'Bearer' });
    const old = await postForm(
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { auth: [cut.clientId, cut.clientSecret] },
    );
    expect(old.status).toBe(401);
    expect(refused).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'revocation-admin: a public client has no secret to rotate (HTTP 400)\n',
    });
    expect(badGrace).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'revocation-admin: --grace must be a whole number of seconds\n',
    });
  });

  it('clients revoke-tokens revokes every token of the client and keeps the client', async () => {
    const { client, access, refresh } = await clientWithTokens();
    const before = Date.now();
    const result = await local('clients', 'revoke-tokens', client.clientId);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toEqual({ clientId: client.clientId, tokensRevokedBefore: expect.any(Number) });
    const { tokensRevokedBefore } = result.json as { tokensRevokedBefore: number };
    expect(tokensRevokedBefore).toBeGreaterThanOrEqual(before);
    expect(tokensRevokedBefore).toBeLessThanOrEqual(Date.now());
    expect(await introspect(client, access)).toEqual({ active: false });
    expect(await introspect(client, refresh)).toEqual({ active: false });
    expect(await clientCredentials(client)).toMatchObject({ token_type: 'Bearer' });
  });

  it('clients delete removes the client and its tokens; the client can no longer authenticate', async () => {
    const { client, access, refresh } = await clientWithTokens();
    const result = await local('clients', 'delete', client.clientId);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toEqual({ clientId: client.clientId });
    const token = await postForm(
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(token.status).toBe(401);
    const resourceServer = await registerClient();
    for (const raw of [access, refresh])
      expect(await introspect(resourceServer, raw)).toEqual({ active: false });

    const gone = await local('clients', 'get', client.clientId);
    expect(gone).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'revocation-admin: client not found (HTTP 404)\n',
    });
  });

  it('reports an API error on stderr with exit code 1 and nothing on stdout', async () => {
    // The target from REVOCATION_API_URL, as a deployment would set it.
    const result = await cli(['tokens', 'mint', '--client-id', 'no-such-client'], {
      REVOCATION_API_URL: baseUrl,
    });
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'revocation-admin: client not found (HTTP 404)\n',
    });

    const invalid = await local('clients', 'create', '--name', 'x', '--grant-types', 'password');
    expect(invalid).toMatchObject({ code: 1, stdout: '' });
    expect(invalid.stderr).toMatch(/^revocation-admin: "grantTypes" must be .* \(HTTP 400\)\n$/);
  });

  it('never echoes a token given as an argument in an error', async () => {
    const { client, access } = await clientWithTokens();
    const [extra, dashed, noUrl, unknown] = await Promise.all([
      local('tokens', 'delete-refresh', access, 'extra-argument'),
      local('tokens', 'delete-access', access, `-x${access}`),
      cli(['tokens', 'delete-access', access]),
      // Not a token this service issued: the API's 404, still without the value.
      local('tokens', 'delete-access', `-x${access}`),
    ]);
    for (const result of [extra, dashed, noUrl, unknown]) {
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^revocation-admin: .+\n$/);
      expect(result.stderr).not.toContain(access.slice(0, 12));
    }
    expect([extra.code, dashed.code, noUrl.code, unknown.code]).toEqual([2, 2, 2, 1]);
    expect(unknown.stderr).toBe('revocation-admin: Invalid Access Token (HTTP 404)\n');
    // Usage errors stop before any call: the token is untouched.
    expect(await introspect(client, access)).toMatchObject({ active: true });
  });

  it('takes an id or token that starts with "-" as the argument, not as an option', async () => {
    // One generated id or token in 64 starts with '-'; the API's 404 shows the value reached it.
    const [get, mint, dashes] = await Promise.all([
      local('clients', 'get', '-no-such-client'),
      local('tokens', 'mint', '--client-id', '--no-such-client'),
      local('clients', 'delete', '--', '--no-such-client'),
    ]);
    for (const result of [get, mint, dashes])
      expect(result).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'revocation-admin: client not found (HTTP 404)\n',
      });
  });

  it('rejects usage errors with exit code 2 before calling the API', async () => {
    const [noName, badTtl, unknown, missing, noUrl, badCommand, noValue] = await Promise.all([
      local('clients', 'create', '--scopes', 'read'),
      local('clients', 'create', '--name', 'x', '--access-token-ttl', '1h'),
      local('clients', 'get', 'some-id', '--bogus'),
      local('clients', 'get'),
      cli(['clients', 'get', 'some-id']),
      local('client', 'get', 'some-id'),
      local('tokens', 'mint', '--subject', 'alice', '--client-id'),
    ]);
    expect(noName.stderr).toBe('revocation-admin: clients create needs --name\n');
    expect(badTtl.stderr).toBe('revocation-admin: --access-token-ttl must be a whole number of seconds\n');
    expect(unknown.stderr).toMatch(/^revocation-admin: unknown option '--bogus' for 'clients get'/);
    expect(missing.stderr).toMatch(/^revocation-admin: missing CLIENT_ID;/);
    expect(noUrl.stderr).toMatch(/^revocation-admin: no API URL: pass --url URL or set REVOCATION_API_URL/);
    expect(badCommand.stderr).toMatch(/^revocation-admin: unknown command 'client'/);
    expect(noValue.stderr).toMatch(/^revocation-admin: --client-id needs a value;/);
    for (const result of [noName, badTtl, unknown, missing, noUrl, badCommand, noValue]) {
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr.split('\n')).toHaveLength(2);
    }
  });

  it('signs with the standard AWS credential chain for a URL that is not local', async () => {
    const client = await registerClient();
    const url = await nonLocalUrl();
    const chain = { AWS_ACCESS_KEY_ID: ADMIN.accessKeyId, AWS_SECRET_ACCESS_KEY: ADMIN.secretAccessKey };
    const [signed, wrongKey, region, none] = await Promise.all([
      cli(['clients', 'get', client.clientId, '--url', url], chain),
      cli(['clients', 'get', client.clientId, '--url', url], {
        ...chain,
        AWS_SECRET_ACCESS_KEY: 'not-the-secret',
      }),
      // The signature's region comes from AWS_REGION; the local server accepts us-east-1 only.
      cli(['clients', 'get', client.clientId, '--url', url], { ...chain, AWS_REGION: 'eu-west-1' }),
      cli(['clients', 'get', client.clientId, '--url', url], {
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      }),
    ]);
    expect(signed).toMatchObject({ code: 0, stderr: '', json: { clientId: client.clientId } });
    // A 403 says what to check: the signer's rights, the region, the clock.
    const forbidden = (regionName: string) =>
      new RegExp(
        `^revocation-admin: Forbidden \\(HTTP 403\\)\\nrevocation-admin: check: the credentials that signed \\(access key ${ADMIN.accessKeyId.slice(0, 4)}…${ADMIN.accessKeyId.slice(-4)};.*execute-api:Invoke.*the region ${regionName} is the API's.*clock is within 5 minutes.*\\n$`,
      );
    expect(wrongKey).toMatchObject({ code: 1, stdout: '' });
    expect(wrongKey.stderr).toMatch(forbidden('us-east-1'));
    expect(region).toMatchObject({ code: 1, stdout: '' });
    expect(region.stderr).toMatch(forbidden('eu-west-1'));
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toMatch(/^revocation-admin: no AWS credentials to sign with: .+\n$/);
  });

  it('signs with the local admin credentials for a localhost URL, from ADMIN_* when set', async () => {
    const client = await registerClient();
    const url = await nonLocalUrl();
    const [wrong, explicit] = await Promise.all([
      cli(['clients', 'get', client.clientId, '--url', baseUrl], {
        ADMIN_SECRET_ACCESS_KEY: 'not-the-secret',
      }),
      // --local picks the local credentials whatever the host; AWS credentials are not consulted.
      cli(['clients', 'get', client.clientId, '--url', url, '--local'], {
        AWS_ACCESS_KEY_ID: 'AKIAWRONG',
        AWS_SECRET_ACCESS_KEY: 'wrong',
      }),
    ]);
    expect(wrong).toMatchObject({ code: 1, stdout: '' });
    expect(wrong.stderr).toMatch(
      /^revocation-admin: Forbidden \(HTTP 403\)\nrevocation-admin: check: the local admin pair \(ADMIN_ACCESS_KEY_ID\/ADMIN_SECRET_ACCESS_KEY, signed here with access key LOCA…DMIN\) is the one the server was started with/,
    );
    expect(explicit).toMatchObject({ code: 0, stderr: '', json: { clientId: client.clientId } });
  });

  it('--local without a URL goes to http://localhost:$PORT, where npm start listens', async () => {
    const client = await registerClient();
    const port = new URL(baseUrl).port;
    // Through tsx and bin/admin.ts, as `npm run admin` starts it: the other tests run the same source bundled.
    const result = await runCliAsUsersDo(['clients', 'get', client.clientId, '--local'], { PORT: port });
    expect(result).toMatchObject({ code: 0, stderr: '', json: { clientId: client.clientId } });
  });

  it('prints help for the program and for every command with exit code 0', async () => {
    const cases: [string[], string][] = [
      [['--help'], 'Usage: npx revocation-admin <command> <subcommand> [arguments] [options]'],
      [['help'], 'Usage: npx revocation-admin <command> <subcommand> [arguments] [options]'],
      [['clients', '--help'], 'Usage: npx revocation-admin clients <subcommand> [arguments] [options]'],
      [['help', 'tokens'], 'Usage: npx revocation-admin tokens <subcommand> [arguments] [options]'],
      [['clients', 'create', '--help'], 'Usage: npx revocation-admin clients create [options]'],
      [['clients', 'get', '-h'], 'Usage: npx revocation-admin clients get CLIENT_ID'],
      [['clients', 'delete', '--help'], 'Usage: npx revocation-admin clients delete CLIENT_ID'],
      [['clients', 'revoke-tokens', '--help'], 'Usage: npx revocation-admin clients revoke-tokens CLIENT_ID'],
      [
        ['clients', 'rotate-secret', '--help'],
        'Usage: npx revocation-admin clients rotate-secret CLIENT_ID [options]',
      ],
      [['tokens', 'mint', '--help'], 'Usage: npx revocation-admin tokens mint [options]'],
      [
        ['tokens', 'delete-access', '--help'],
        'Usage: npx revocation-admin tokens delete-access ACCESS_TOKEN',
      ],
      [
        ['help', 'tokens', 'delete-refresh'],
        'Usage: npx revocation-admin tokens delete-refresh REFRESH_TOKEN',
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    results.forEach((result, i) => {
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout.split('\n')[0]).toBe(cases[i]?.[1]);
    });
    const [, , , , create, , , , rotate, mint] = results;
    expect(rotate?.stdout).toContain('--grace SECONDS');
    for (const option of [
      '--name',
      '--grant-types',
      '--scopes',
      '--public',
      '--access-token-ttl',
      '--idempotency-key',
      '--url',
    ])
      expect(create?.stdout).toContain(option);
    for (const option of ['--client-id', '--subject', '--scope', '--refresh-token', '--region'])
      expect(mint?.stdout).toContain(option);
  });

  it('prints usage on stderr with exit code 2 when no command is given', async () => {
    const [bare, group] = await Promise.all([cli([]), cli(['tokens'])]);
    expect(bare).toMatchObject({ code: 2, stdout: '' });
    expect(bare.stderr).toMatch(/^Usage: npx revocation-admin <command>/);
    expect(group).toMatchObject({ code: 2, stdout: '' });
    expect(group.stderr).toMatch(/^Usage: npx revocation-admin tokens <subcommand>/);
  });
});

describe('admin CLI target resolution', () => {
  it('signs for the region in an execute-api URL, which is the only one API Gateway accepts', () => {
    const url = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
    expect(resolveTarget({ url }, { AWS_REGION: 'us-west-2' })).toEqual({
      baseUrl: `${url}/`,
      region: 'eu-west-1',
      local: false,
    });
    expect(resolveTarget({ url, region: 'ap-south-1' }, {}).region).toBe('ap-south-1');
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1 for other hosts', () => {
    const url = 'https://revocation.example.com/prod/';
    expect(resolveTarget({ url }, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-north-1' }).region).toBe(
      'us-west-2',
    );
    expect(resolveTarget({ url }, { AWS_DEFAULT_REGION: 'eu-north-1' }).region).toBe('eu-north-1');
    expect(resolveTarget({ url }, {})).toEqual({ baseUrl: url, region: 'us-east-1', local: false });
  });

  it('treats localhost as the local server, signed for us-east-1 whatever AWS_REGION says', () => {
    expect(resolveTarget({ url: 'http://127.0.0.1:3000' }, { AWS_REGION: 'eu-west-1' })).toMatchObject({
      region: 'us-east-1',
      local: true,
    });
    expect(resolveTarget({ local: true }, {})).toEqual({
      baseUrl: 'http://localhost:3000/',
      region: 'us-east-1',
      local: true,
    });
    expect(() => resolveTarget({ url: 'ftp://example.com' }, {})).toThrow(/http or https/);
  });

  it('takes the local port from PORT for --local without a URL, as npm start does', () => {
    expect(resolveTarget({ local: true }, { PORT: '4123' })).toEqual({
      baseUrl: 'http://localhost:4123/',
      region: 'us-east-1',
      local: true,
    });
    expect(resolveTarget({ local: true }, { PORT: '' }).baseUrl).toBe('http://localhost:3000/');
    // An explicit URL, or REVOCATION_API_URL, wins over PORT.
    expect(resolveTarget({ local: true, url: 'http://127.0.0.1:5000' }, { PORT: '4123' }).baseUrl).toBe(
      'http://127.0.0.1:5000/',
    );
    expect(
      resolveTarget({ local: true }, { PORT: '4123', REVOCATION_API_URL: 'http://localhost:5001' }).baseUrl,
    ).toBe('http://localhost:5001/');
    expect(() => resolveTarget({ local: true }, { PORT: 'http' })).toThrow(/PORT must be a port number/);
    expect(() => resolveTarget({ local: true }, { PORT: '70000' })).toThrow(/PORT must be a port number/);
  });
});
