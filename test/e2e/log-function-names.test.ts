import { describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import {
  grantTokens,
  introspect,
  type LogLine,
  postForm,
  registerClient,
  waitForLog,
} from '#test/support/helpers.ts';

type Line = LogLine & { function_name?: string; grantId?: string; sweep?: { grantId?: string } };

/** The function each kind of line must come from; request lines by their route. */
const FUNCTION_OF_ROUTE = new Map(HTTP_FUNCTIONS.map((entry) => [routeKey(entry), `local-${entry.name}`]));

function expectedFunction(line: Line): string | undefined {
  if (line.message === 'request' && line.route !== undefined) return FUNCTION_OF_ROUTE.get(line.route);
  if (line.message === 'sweep completed') return 'local-sweeper';
  if (line.message === 'revocation event') return 'local-publisher';
  return undefined;
}

/**
 * Issue 15 item 8: locally every function runs in one process, but each log line carries the name of the
 * function that wrote it, as on Lambda: the sweeper's and the publisher's lines while requests are being
 * served, and each request's line its own route's function.
 */
describe("each function's log lines carry its own name", () => {
  it('keeps the sweeper, the publisher and every route apart while they run at the same time', async () => {
    const client = await registerClient();
    const grants = await Promise.all(Array.from({ length: 4 }, () => grantTokens(client)));
    // Revocations (whose sweeps and events run in the background) amid a stream of introspections.
    const busy = Array.from({ length: 40 }, (_, i) => introspect(client, grants[i % 4]?.access_token ?? ''));
    const revokes = grants.map((grant) =>
      postForm(
        '/oauth2/revoke',
        { token: grant.refresh_token },
        { auth: [client.clientId, client.clientSecret] },
      ),
    );
    await Promise.all([...busy, ...revokes]);
    const more = Array.from({ length: 40 }, () => introspect(client, grants[0]?.access_token ?? ''));
    await Promise.all(more);
    const lines = (await waitForLog(
      // Four grant.revoked and four sweep.completed events, after four sweeps.
      (all) =>
        all.filter((line) => line.message === 'sweep completed').length >= 4 &&
        all.filter((line) => line.message === 'revocation event').length >= 8,
    )) as Line[];
    const checked = lines.filter((line) => line.function_name !== undefined && expectedFunction(line));
    expect(checked.filter((line) => line.message === 'sweep completed').length).toBeGreaterThanOrEqual(4);
    expect(checked.filter((line) => line.message === 'revocation event').length).toBeGreaterThanOrEqual(8);
    const wrong = checked
      .filter((line) => line.function_name !== expectedFunction(line))
      .map((line) => `${line.message} ${line.route ?? ''}: ${line.function_name}`);
    expect(wrong).toEqual([]);
  });
});
