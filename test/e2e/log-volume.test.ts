import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HTTP_FUNCTIONS } from '#commons/manifest.ts';
import { startServer } from '#test/support/global-setup.ts';
import { ADMIN, basic, lambdaBytes, recordSecrets } from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';

/**
 * Issue 14 item 3: what each request writes to the log on Lambda. A server of its own (its own log, no
 * stream readers, a cold start as on Lambda), driven one request at a time, so that every line and every
 * metrics blob is the invocation's that came just before it: the local server prints the functions' JSON
 * lines as they are on Lambda (LOG_FORMAT=json), metrics blobs included.
 */

interface Line {
  level?: string;
  message?: string;
  timestamp?: string;
  route?: string;
  status?: number;
  function_name?: string;
  function_request_id?: string;
  correlation_id?: string;
  clientId?: string;
  tokenIdPrefix?: string;
  durationMs?: number;
  audit?: Record<string, unknown>;
  _aws?: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  raw: string;
}

const metricNames = (blob: Line) =>
  blob._aws?.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name)) ?? [];

describe('log volume: one line per request, one metrics blob per invocation when something was counted', () => {
  const logFile = join(inject('runDir'), `log-volume-${process.pid}.log`);
  let url = '';
  let stop = () => {};

  beforeAll(async () => {
    const started = await startServer(
      {
        DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
        TABLE_NAME: inject('tableName'),
        // As on Lambda: the process's first invocation is a cold start (Powertools counts none otherwise).
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      },
      logFile,
    );
    url = started.url;
    stop = () => started.child.kill('SIGTERM');
  }, 60_000);
  afterAll(() => stop());

  /** Every JSON line of this server's log. */
  const lines = (): Line[] =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((raw) => raw.startsWith('{'))
      .map((raw) => ({ ...(JSON.parse(raw) as object), raw }));

  /** Request lines written so far, waited for: the copy to the file lags the server's writes. */
  async function requestLines(count: number): Promise<Line[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = lines().filter((l) => l.message === 'request');
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`${found.length} request lines, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await adminRequest(url, method, path, ADMIN, body === undefined ? {} : { body });
    recordSecrets(response.json);
    return response;
  };
  const form = async (path: string, fields: Record<string, string>, authorization?: string) => {
    const response = await fetch(new URL(path, url), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization !== undefined && { authorization }),
      },
      body: new URLSearchParams(fields).toString(),
    });
    const json = (await response.json().catch(() => undefined)) as Record<string, string> | undefined;
    recordSecrets(json);
    return { status: response.status, json };
  };

  it('writes one INFO line under 512 bytes per request on every route, audit fields on it, and at most one metrics blob, none when nothing was counted', async () => {
    let requests = 0;
    const expectBlob: ('none' | 'one' | 'any')[] = [];
    /** Notes one request made and whether it must, may or must not write a metrics blob. */
    const made = (blob: 'none' | 'one' | 'any') => {
      requests += 1;
      expectBlob.push(blob);
    };

    // The first invocation: a failed client authentication, counted, with the cold start in the same blob.
    expect((await form('/oauth2/introspect', { token: 'abc' }, basic('no-such-client', 'x'))).status).toBe(
      401,
    );
    made('one');
    const registered = await admin('POST', '/admin/clients', {
      name: 'log volume',
      grantTypes: ['client_credentials'],
    });
    expect(registered.status).toBe(201);
    made('none');
    const client = registered.json as { clientId: string; clientSecret: string };
    const auth = basic(client.clientId, client.clientSecret);
    const issued = await form('/oauth2/token', { grant_type: 'client_credentials' }, auth);
    expect(issued.status).toBe(200);
    made('none');
    const token = String(issued.json?.access_token);
    expect((await form('/oauth2/introspect', { token }, auth)).status).toBe(200);
    made('none');
    expect((await form('/oauth2/revoke', { token }, auth)).status).toBe(200);
    made('one');
    const revokeLine = requests;

    // Every route once more, with a client of its own (admin routes may delete or rotate it).
    const other = (
      await admin('POST', '/admin/clients', { name: 'every route', grantTypes: ['client_credentials'] })
    ).json as { clientId: string; clientSecret: string };
    made('none');
    const otherToken = String(
      (
        await form(
          '/oauth2/token',
          { grant_type: 'client_credentials' },
          basic(other.clientId, other.clientSecret),
        )
      ).json?.access_token,
    );
    made('none');
    const params: Record<string, string> = {
      clientId: other.clientId,
      issuerId: 'no-such-issuer',
      subject: 'someone',
      token: otherToken,
    };
    for (const route of HTTP_FUNCTIONS) {
      const path = route.trigger.path.replace(/\{(\w+)\}/g, (_, name: string) =>
        encodeURIComponent(params[name] ?? 'x'),
      );
      const method = route.trigger.method;
      if (route.trigger.auth === 'iam') {
        await admin(
          method,
          path,
          method === 'GET' || method === 'DELETE' ? undefined : { token: otherToken },
        );
      } else {
        await fetch(new URL(path, url), {
          method,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(other.clientId, other.clientSecret),
          },
          ...(method !== 'GET' && { body: new URLSearchParams({ token: otherToken }).toString() }),
        });
      }
      // Whatever the route answered, it counted at most one thing worth a blob.
      made('any');
    }

    const requestsSeen = await requestLines(requests);
    // Settled: a last line, after which nothing more is written for these requests.
    const all = lines();
    expect(requestsSeen).toHaveLength(requests);

    // Each request's lines, in order: a request line ends them, its metrics blob (if any) follows it.
    const byRequest: { request: Line; blobs: Line[]; others: Line[] }[] = [];
    let pending: Line[] = [];
    for (const line of all) {
      if (line._aws) {
        const last = byRequest.at(-1);
        expect(last, `a metrics blob before any request: ${line.raw}`).toBeDefined();
        last?.blobs.push(line);
      } else if (line.message === 'request') {
        byRequest.push({ request: line, blobs: [], others: pending });
        pending = [];
      } else {
        pending.push(line);
      }
    }
    expect(byRequest).toHaveLength(requests);

    for (const [i, { request, blobs, others }] of byRequest.entries()) {
      const what = `${request.route} ${request.status}`;
      // One INFO line: the request line; anything else is a warning, an error or debug detail.
      expect(request.level, what).toBe('INFO');
      const sameInvocation = others.filter((l) => l.function_request_id === request.function_request_id);
      expect(
        sameInvocation.filter((l) => l.level === 'INFO').map((l) => l.message),
        what,
      ).toEqual([]);
      expect(lambdaBytes(request), `${what}: ${request.raw}`).toBeLessThan(512);
      expect(request).toMatchObject({
        function_request_id: expect.any(String),
        durationMs: expect.any(Number),
      });
      // At most one blob per invocation, and never an empty one.
      expect(blobs.length, `${what}: ${blobs.map((b) => b.raw).join('\n')}`).toBeLessThanOrEqual(1);
      for (const blob of blobs) expect(metricNames(blob).length).toBeGreaterThan(0);
      if (expectBlob[i] === 'none') expect(blobs, what).toEqual([]);
      if (expectBlob[i] === 'one') expect(blobs, what).toHaveLength(1);
    }

    // The cold start rides in the first invocation's one blob, with what it counted.
    const [first] = byRequest;
    expect(first?.blobs).toHaveLength(1);
    expect(metricNames(first?.blobs[0] as Line).sort()).toEqual(['ColdStart', 'FailedClientAuthentications']);
    expect(byRequest.slice(1).flatMap((r) => r.blobs.flatMap(metricNames))).not.toContain('ColdStart');

    // The revocation's one line carries its audit fields; the line's own say who and which token.
    const revoke = byRequest[revokeLine - 1];
    expect(revoke?.request).toMatchObject({
      route: 'POST /oauth2/revoke',
      status: 200,
      clientId: client.clientId,
      tokenIdPrefix: expect.stringMatching(/^[\w-]{8}$/),
      audit: { action: 'token.revoked', id: expect.any(String), tokenKind: 'access', at: expect.any(String) },
    });
    expect(revoke?.blobs.flatMap(metricNames)).toEqual(['Revocations']);
    expect(all.filter((l) => l.message === 'token revoked')).toEqual([]);
    expect(readFileSync(logFile, 'utf8')).not.toContain(token);
  });
});
