import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  admin,
  clientCredentials,
  grantTokens,
  type LogLine,
  postForm,
  registerClient,
  serverLog,
  waitForLog,
} from '#test/support/helpers.ts';

/** One embedded-metric-format record as Powertools writes it. */
interface EmfRecord {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

const isEmf = (line: LogLine): line is LogLine & EmfRecord => '_aws' in line;

/** EMF records of one metric whose dimension values include `dimensions`. */
function records(lines: LogLine[], metric: string, dimensions: Record<string, string>) {
  return lines
    .filter(isEmf)
    .filter(
      (line) =>
        line._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === metric)) &&
        Object.entries(dimensions).every(([name, value]) => line[name] === value),
    );
}

describe('observability', () => {
  it('logs every request with the Lambda context, its request id and the API Gateway request id', async () => {
    const client = await registerClient();
    await clientCredentials(client);
    const lines = await waitForLog((all) =>
      all.some(
        (l) => l.message === 'request' && l.route === 'POST /oauth2/token' && l.clientId === client.clientId,
      ),
    );
    const line = lines.find(
      (l) => l.message === 'request' && l.route === 'POST /oauth2/token' && l.clientId === client.clientId,
    ) as Record<string, unknown> | undefined;
    expect(line).toMatchObject({
      timestamp: expect.any(String),
      function_name: 'local-token',
      function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      correlation_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    // The local server uses one id for both, as API Gateway's requestId and Lambda's awsRequestId.
    expect(line?.correlation_id).toBe(line?.function_request_id);
    // What the log group says: not on every line (the `service` metric dimension stays).
    expect(line).not.toHaveProperty('service');
  });

  it('counts a revocation in embedded metric format, by its event type and route', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    const answer = await postForm(
      '/oauth2/revoke',
      { token: tokens.access_token },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(answer.status).toBe(200);
    const dimensions = { kind: 'token.revoked', route: 'POST /oauth2/revoke' };
    const lines = await waitForLog((all) => records(all, 'Revocations', dimensions).length > 0);
    const [record] = records(lines, 'Revocations', dimensions);
    expect(record).toMatchObject({ service: 'token-revocation', Revocations: 1 });
    expect(record?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'TokenRevocation',
        Dimensions: [['service', 'kind', 'route']],
        Metrics: [{ Name: 'Revocations', Unit: 'Count' }],
      },
    ]);
    expect(record?.raw).not.toContain(tokens.access_token);
  });

  it('logs each sweep of the stream with its count and lag, and counts it in embedded metric format', async () => {
    const client = await registerClient();
    const tokens = [await clientCredentials(client), await grantTokens(client)];
    expect((await admin('DELETE', `/admin/clients/${client.clientId}/tokens`)).status).toBe(200);
    const sweepOf = (l: LogLine) =>
      (l as LogLine & { sweep?: Record<string, unknown> }).sweep?.clientId === client.clientId
        ? (l as LogLine & { sweep: Record<string, unknown> }).sweep
        : undefined;
    // The sweeper runs in the background, so its line comes some time after the 200.
    const lines = await waitForLog((all) => all.some((l) => l.message === 'sweep completed' && sweepOf(l)));
    const swept = lines.filter((l) => l.message === 'sweep completed' && sweepOf(l));
    expect(swept).toHaveLength(1);
    // The client_credentials token and the grant's two.
    expect(sweepOf(swept[0] as LogLine)).toMatchObject({
      of: 'client.tokens_revoked',
      count: 3,
      durationMs: expect.any(Number),
      lagMs: expect.any(Number),
    });
    expect(records(lines, 'SweptTokens', { kind: 'client.tokens_revoked' }).length).toBeGreaterThan(0);
    for (const raw of tokens.flatMap((t) => [t.access_token, t.refresh_token ?? t.access_token])) {
      expect(swept[0]?.raw).not.toContain(raw);
    }
  });

  it('counts a failed client authentication by route, and keeps the secret out of the log', async () => {
    const client = await registerClient();
    const wrong = `${client.clientSecret}x`;
    const answer = await postForm('/oauth2/introspect', { token: 'abc' }, { auth: [client.clientId, wrong] });
    expect(answer.status).toBe(401);
    const dimensions = { route: 'POST /oauth2/introspect' };
    const lines = await waitForLog(
      (all) => records(all, 'FailedClientAuthentications', dimensions).length > 0,
    );
    expect(records(lines, 'FailedClientAuthentications', dimensions)[0]).toMatchObject({
      service: 'token-revocation',
      FailedClientAuthentications: 1,
    });
    const log = readFileSync(serverLog, 'utf8');
    expect(log).not.toContain(wrong);
    expect(log).not.toContain(client.clientSecret);
  });

  it('runs without tracing outside Lambda, and without warnings from the tracer or the metrics flush', async () => {
    const client = await registerClient();
    // An introspection stores no metric: the flush that used to warn about that on every request.
    await postForm('/oauth2/introspect', { token: 'abc' }, { auth: [client.clientId, client.clientSecret] });
    await waitForLog((all) =>
      all.some((l) => l.route === 'POST /oauth2/introspect' && l.clientId === client.clientId),
    );
    expect(readFileSync(serverLog, 'utf8')).not.toMatch(
      /No application metrics|Missing AWS Lambda trace data|context missing|X-Ray|xray/i,
    );
  });
});
