import { describe, expect, it } from 'vitest';
import { clientView, newClient, parseJsonObject } from '../../functions/commons/domain/clients.ts';
import { hashSecret } from '../../functions/commons/domain/secrets.ts';
import { AdminError } from '../../functions/commons/errors.ts';

const rejects = (input: Record<string, unknown>, field: string) => {
  expect(() => newClient(input, 0)).toThrow(AdminError);
  expect(() => newClient(input, 0)).toThrow(new RegExp(`"${field}"`));
};

describe('client registration', () => {
  it('gives a confidential client a 256-bit secret and stores only its hash', () => {
    const { client, secret } = newClient({ name: 'app' }, 5);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client.secretHash).toBe(hashSecret(secret ?? ''));
    expect(JSON.stringify(client)).not.toContain(secret);
    expect(client).toMatchObject({
      public: false,
      grantTypes: ['client_credentials'],
      scopes: [],
      createdAt: 5,
    });
    expect(client.accessTokenTtl).toBe(3600);
    expect(client.refreshTokenTtl).toBe(30 * 24 * 3600);
  });

  it('gives a public client no secret and the refresh grant by default', () => {
    const { client, secret } = newClient({ name: 'spa', public: true }, 0);
    expect(secret).toBeUndefined();
    expect(client.secretHash).toBeUndefined();
    expect(client.grantTypes).toEqual(['refresh_token']);
  });

  it('names the offending field', () => {
    rejects({}, 'name');
    rejects({ name: '' }, 'name');
    rejects({ name: 'a', public: 'yes' }, 'public');
    rejects({ name: 'a', grantTypes: ['password'] }, 'grantTypes');
    rejects({ name: 'a', grantTypes: [] }, 'grantTypes');
    rejects({ name: 'a', public: true, grantTypes: ['client_credentials'] }, 'grantTypes');
    rejects({ name: 'a', scopes: ['has space'] }, 'scopes');
    rejects({ name: 'a', scopes: 'read' }, 'scopes');
    rejects({ name: 'a', accessTokenTtl: 0 }, 'accessTokenTtl');
    rejects({ name: 'a', refreshTokenTtl: 1.5 }, 'refreshTokenTtl');
  });

  it('never shows the secret or its hash in the client view', () => {
    const { client } = newClient({ name: 'app' }, 0);
    expect(Object.keys(clientView(client))).not.toContain('secretHash');
  });

  it('requires a JSON object body', () => {
    expect(() => parseJsonObject('not json')).toThrow(/valid JSON/);
    expect(() => parseJsonObject('[1]')).toThrow(/JSON object/);
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
  });
});
