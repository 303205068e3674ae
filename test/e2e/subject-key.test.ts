import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { legacySubjectKeyOf, parseToken } from '#commons/domain/token-format.ts';
import { admin, introspect, registerClient } from '#test/support/helpers.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';

/** Contract [v3] "Subject key", over HTTP against the local server. */
describe('subject keys of the local server', () => {
  it('keys the subject of a minted token with the data directory secret, not a plain SHA-256', async () => {
    const client = await registerClient({ grantTypes: ['client_credentials', 'refresh_token'] });
    // A subject of this test alone: the suite's other files mint tokens for alice and expect them active.
    const subject = `alice-${randomUUID()}`;
    const minted = await admin('POST', '/admin/tokens', { clientId: client.clientId, subject });
    expect(minted.status).toBe(201);
    const token = (minted.json as { access_token: string }).access_token;
    const refs = parseToken(token);
    // K9gGyX8OAK8aH8Myj6djqQ is the plain SHA-256 key of "alice" that version 2 tokens carried.
    expect(legacySubjectKeyOf('alice')).toBe('K9gGyX8OAK8aH8Myj6djqQ');
    expect(token).not.toContain(legacySubjectKeyOf(subject));
    expect(refs?.subjectKey).toBe(subjectKeyOf(subject));
    expect(refs?.subjectKey).not.toBe(legacySubjectKeyOf(subject));
    // The secret is a file only its owner can read.
    expect(statSync(process.env.SUBJECT_KEY_FILE ?? '').mode & 0o077).toBe(0);

    expect(await introspect(client, token)).toMatchObject({ active: true, sub: subject });
    const cut = await admin('DELETE', `/admin/subjects/${subject}/tokens`);
    expect(cut.status).toBe(200);
    expect(await introspect(client, token)).toEqual({ active: false });
  });
});
