import { describe, expect, it } from 'vitest';
import { clientCredentials, introspect, registerClient } from '#test/support/helpers.ts';

describe('local server', () => {
  it('issues a token that introspects as active', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client, 'read');
    expect(await introspect(client, tokens.access_token)).toMatchObject({ active: true, scope: 'read' });
  });
});
