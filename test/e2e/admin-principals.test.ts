import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS } from '#commons/manifest.ts';
import { startServer } from '#test/support/global-setup.ts';
import {
  ADMIN,
  dynamoEndpoint,
  recordSecrets,
  runDir,
  tableName,
  waitForLog,
} from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';

/**
 * ADMIN_PRINCIPAL_ARNS: the local server's signed caller is `arn:aws:iam::000000000000:user/local-admin`,
 * as the IAM authorizer would report it. Two servers of the suite's table: one whose allow-list leaves
 * that principal out, one that lists it.
 */
const LOCAL_PRINCIPAL = 'arn:aws:iam::000000000000:user/local-admin';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

async function serverWith(allowList: string, log: string) {
  const logFile = join(runDir, log);
  const { url, child } = await startServer(
    { DYNAMODB_ENDPOINT: dynamoEndpoint, TABLE_NAME: tableName, ADMIN_PRINCIPAL_ARNS: allowList },
    logFile,
  );
  children.push(child);
  const signed = async (method: string, path: string, body?: unknown) => {
    const response = await adminRequest(url, method, path, ADMIN, body === undefined ? {} : { body });
    recordSecrets(response.json);
    return response;
  };
  return { url, signed, logFile };
}

/** A correctly signed request for every admin route of the manifest. */
const ADMIN_ROUTES = HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'iam').map((route) => ({
  method: route.trigger.method,
  path: route.trigger.path.replace(/\{(\w+)\}/g, 'c29tZS12YWx1ZQ'),
}));

describe('admin principal allow-list (ADMIN_PRINCIPAL_ARNS)', { timeout: 90_000 }, () => {
  it('refuses a validly signed caller that is not listed with 403 on every admin route, and logs who it was', async () => {
    const { url, signed, logFile } = await serverWith(
      'arn:aws:iam::000000000000:user/someone-else, arn:aws:iam::000000000000:role/Operators',
      'allow-list-refusing-server.log',
    );
    expect(ADMIN_ROUTES.length).toBeGreaterThanOrEqual(9);
    for (const { method, path } of ADMIN_ROUTES) {
      const response = await signed(
        method,
        path,
        method === 'POST' ? { name: 'x', clientId: 'x', token: 'x' } : undefined,
      );
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.json).toEqual({ message: 'Forbidden' });
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    // The OAuth routes are not the allow-list's business.
    const metadata = await fetch(`${url}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    const refused = await waitForLog(
      (lines) =>
        lines.filter((l) => l.message === 'request' && l.status === 403).length >= ADMIN_ROUTES.length,
      logFile,
    );
    const line = refused.find(
      (l) => l.message === 'request' && l.status === 403 && l.route === 'POST /admin/clients',
    );
    expect(line?.raw).toContain(LOCAL_PRINCIPAL);
  });

  it('lets a listed principal through', async () => {
    const { signed } = await serverWith(
      `arn:aws:iam::000000000000:role/Operators,${LOCAL_PRINCIPAL}`,
      'allow-list-admitting-server.log',
    );
    const created = await signed('POST', '/admin/clients', {
      name: 'allowed',
      grantTypes: ['client_credentials'],
    });
    expect(created.status).toBe(201);
    const { clientId } = created.json as { clientId: string };
    const shown = await signed('GET', `/admin/clients/${clientId}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ clientId, name: 'allowed' });
    expect((await signed('POST', '/admin/oauth2/accesstokens/delete', { token: 'unknown' })).status).toBe(
      404,
    );
  });

  it('keeps a server without a valid list from starting: a bad entry fails the start, naming the variable', async () => {
    await expect(serverWith('arn:aws:iam::000000000000:root', 'allow-list-bad-server.log')).rejects.toThrow(
      /ADMIN_PRINCIPAL_ARNS must list IAM user or role ARNs/,
    );
  });
});
