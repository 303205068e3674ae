import { describe, expect, it } from 'vitest';
import {
  admin,
  clientCredentials,
  grantTokens,
  type LogLine,
  lambdaBytes,
  logLines,
  postForm,
  registerClient,
  waitForLog,
} from '#test/support/helpers.ts';

describe('log lines', () => {
  it('writes one request line per request, under 512 bytes as on Lambda, with ids, route, status, client, token prefix and duration', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    const answer = await postForm(
      '/oauth2/revoke',
      { token: tokens.access_token },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(answer.status).toBe(200);
    const mine = (l: LogLine) => l.route === 'POST /oauth2/revoke' && l.clientId === client.clientId;
    const lines = await waitForLog((all) => all.some((l) => l.message === 'request' && mine(l)));
    const requests = lines.filter((l) => l.message === 'request' && mine(l));
    expect(requests).toHaveLength(1);
    const request = requests[0] as LogLine & Record<string, unknown>;
    expect(request).toMatchObject({
      level: 'INFO',
      status: 200,
      function_name: 'local-revoke',
      function_request_id: expect.any(String),
      correlation_id: expect.any(String),
      tokenIdPrefix: expect.stringMatching(/^[\w-]{8}$/),
      durationMs: expect.any(Number),
    });
    // Powertools' defaults that the log group already says: gone.
    expect(request).not.toHaveProperty('function_arn');
    expect(request).not.toHaveProperty('function_memory_size');
    expect(request).not.toHaveProperty('sampling_rate');
    // The revocation's audit fields are on it (the contract's audit line): no line of their own.
    expect(request.audit).toMatchObject({
      action: 'token.revoked',
      clientId: client.clientId,
      tokenKind: 'access',
    });
    expect(lambdaBytes(request)).toBeLessThan(512);
    expect(lines.filter((l) => l.function_request_id === request.function_request_id)).toHaveLength(1);
  });

  it("gives each function's lines its own name, the background sweeper's and publisher's too", async () => {
    const client = await registerClient();
    await grantTokens(client);
    await grantTokens(client);
    const tokens = await clientCredentials(client);
    expect((await admin('DELETE', `/admin/clients/${client.clientId}/tokens`)).status).toBe(200);
    // Requests of other functions keep arriving while the sweep runs; on one shared logger each of them
    // used to rename the background lines after itself.
    const sweptLine = (all: LogLine[]) =>
      all.find(
        (l) =>
          l.message === 'sweep completed' &&
          (l as LogLine & { sweep?: { clientId?: string } }).sweep?.clientId === client.clientId,
      );
    const deadline = Date.now() + 15_000;
    while (!sweptLine(logLines()) && Date.now() < deadline) {
      await postForm(
        '/oauth2/introspect',
        { token: tokens.access_token },
        {
          auth: [client.clientId, client.clientSecret],
        },
      );
    }
    const lines = logLines();
    expect(sweptLine(lines)).toMatchObject({ function_name: 'local-sweeper' });
    expect(sweptLine(lines)).not.toHaveProperty('correlation_id');
    const byFunction = new Map<string, Set<string>>();
    for (const line of lines as (LogLine & { function_name?: string })[]) {
      if (!line.message) continue;
      const names = byFunction.get(line.message) ?? new Set();
      names.add(String(line.function_name));
      byFunction.set(line.message, names);
    }
    expect([...(byFunction.get('sweep completed') ?? [])]).toEqual(['local-sweeper']);
    expect([...(byFunction.get('revocation event') ?? [])]).toEqual(['local-publisher']);
    const introspections = lines.filter(
      (l) => l.message === 'request' && l.route === 'POST /oauth2/introspect',
    );
    expect(new Set(introspections.map((l) => (l as { function_name?: string }).function_name))).toEqual(
      new Set(['local-introspect']),
    );
  });
});
