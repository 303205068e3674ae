import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findActiveToken } from '#commons/domain/activity.ts';
import { revokeSubjectTokens } from '#commons/domain/admin.ts';
import type { Revoker } from '#commons/domain/events.ts';
import type { Client } from '#commons/domain/model.ts';
import { sweep } from '#commons/domain/sweep.ts';
import { legacySubjectKeyOf, presentToken } from '#commons/domain/token-format.ts';
import { issueTokens, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { STREAM_FUNCTIONS } from '#commons/manifest.ts';
import { ATTR, SUBJECT_KEY_PREFIX } from '#commons/schema.ts';
import { revocationOf } from '#commons/store/changes.ts';
import { changeOf } from '#commons/stream/handler.ts';
import { storedClient } from '#test/support/grants.ts';
import { recordSecrets } from '#test/support/helpers.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';
import { keyOf, type StreamTable, streamTable } from '#test/support/table-stream.ts';
import { passesFilters } from '#tools/local/stream-filter.ts';

const clock = () => Date.now();
const OPERATOR: Revoker = { actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/subject-key-test' } };
const noReuse = {
  onReuse: () => {
    throw new Error('no reuse expected');
  },
};

let table: StreamTable;
let client: Client;
let n = 0;
/** A subject of this test alone (the table is its own, but the tests share it). */
const aSubject = () => `subject-key-user-${++n}-${Date.now()}`;

/**
 * Tokens of `subject` as this version mints them (`keyed`), or as a version 2 deployment did (`legacy`:
 * the plain SHA-256 key), with a refresh token (a grant) so the refresh path can be tried.
 */
async function tokensOf(subject: string, kind: 'keyed' | 'legacy') {
  const subjectKey = kind === 'keyed' ? subjectKeyOf(subject) : legacySubjectKeyOf(subject);
  const issued = await issueTokens(table.store, clock, client, {
    scope: undefined,
    subject,
    subjectKey,
    withRefreshToken: true,
    grantType: 'external',
  });
  if (!issued?.response.refresh_token) throw new Error('no grant');
  recordSecrets(issued.response);
  return {
    access: presentToken(issued.response.access_token),
    refresh: presentToken(issued.response.refresh_token),
    accessRaw: issued.response.access_token,
  };
}

const active = async (token: ReturnType<typeof presentToken>) =>
  (await findActiveToken(table.store, clock, token)) !== undefined;

beforeAll(async () => {
  table = await streamTable('subject-key');
  client = await storedClient(table.store, clock, 'subject key test');
});
afterAll(async () => table?.drop());

/** Contract [v3] "Subject key": keyed hashes, and tokens minted before keep working until they expire. */
describe('keyed subject keys, with tokens minted before them', () => {
  it('mints tokens that name the keyed hash of their subject, never its plain SHA-256', async () => {
    const subject = aSubject();
    const { accessRaw, access } = await tokensOf(subject, 'keyed');
    expect(access.refs?.subjectKey).toBe(subjectKeyOf(subject));
    expect(accessRaw).not.toContain(legacySubjectKeyOf(subject));
    expect(subjectKeyOf(subject)).not.toBe(legacySubjectKeyOf(subject));
  });

  it('keeps old tokens active, and a refresh of an old grant keeps its key', async () => {
    const subject = aSubject();
    const old = await tokensOf(subject, 'legacy');
    expect(old.access.refs?.subjectKey).toBe(legacySubjectKeyOf(subject));
    expect(await active(old.access)).toBe(true);
    expect(await active(old.refresh)).toBe(true);
    const refreshed = await refreshTokenGrant(table.store, clock, client, old.refresh, undefined, noReuse);
    recordSecrets(refreshed.response);
    expect(presentToken(refreshed.response.access_token).refs?.subjectKey).toBe(legacySubjectKeyOf(subject));
  });

  it('cuts off old and new tokens of a subject alike: the keyed cut-off and its mirror, in one transaction', async () => {
    const subject = aSubject();
    const old = await tokensOf(subject, 'legacy');
    const now = await tokensOf(subject, 'keyed');
    const other = await tokensOf(aSubject(), 'legacy');
    const records = await table.recordsOf(() =>
      revokeSubjectTokens(table.store, clock, OPERATOR, subject, subjectKeyOf),
    );

    for (const token of [old.access, old.refresh, now.access, now.refresh])
      expect(await active(token)).toBe(false);
    expect(await active(other.access)).toBe(true);
    // The refresh of an old grant is refused too (its transaction checks the mirror).
    await expect(
      refreshTokenGrant(table.store, clock, client, old.refresh, undefined, noReuse),
    ).rejects.toThrow(/invalid/);
    const keyed = await table.item(`${SUBJECT_KEY_PREFIX}${subjectKeyOf(subject)}`);
    const mirror = await table.item(`${SUBJECT_KEY_PREFIX}${legacySubjectKeyOf(subject)}`);
    expect(keyed?.[ATTR.mirrorOf]).toBeUndefined();
    expect(mirror).toMatchObject({
      [ATTR.mirrorOf]: subjectKeyOf(subject),
      [ATTR.tokensRevokedBefore]: keyed?.[ATTR.tokensRevokedBefore],
      [ATTR.expiresAt]: keyed?.[ATTR.expiresAt],
    });

    // One revocation on the stream: the keyed item's; the mirror is no revocation and reaches no consumer.
    expect(records.map(keyOf).sort()).toEqual(
      [
        `${SUBJECT_KEY_PREFIX}${subjectKeyOf(subject)}`,
        `${SUBJECT_KEY_PREFIX}${legacySubjectKeyOf(subject)}`,
      ].sort(),
    );
    const events = records.map((record) => revocationOf(changeOf(record)));
    const [event, ...rest] = events.filter((e) => e !== undefined);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      type: 'subject.tokens_revoked',
      subject,
      subjectKey: subjectKeyOf(subject),
    });
    const mirrorRecord = records.find(
      (r) => keyOf(r) === `${SUBJECT_KEY_PREFIX}${legacySubjectKeyOf(subject)}`,
    );
    for (const fn of STREAM_FUNCTIONS) {
      expect(passesFilters(fn.trigger.filters, mirrorRecord as DynamoDBRecord), fn.name).toBe(false);
    }

    // The keyed cut-off's sweep deletes the old tokens with the new ones (2 grants of 2 tokens each).
    if (!event) throw new Error('no event');
    expect(await sweep(table.store, clock, event)).toBe(4);
    expect(await table.item(old.access.id)).toBeUndefined();
    expect(await table.item(now.access.id)).toBeUndefined();
    expect(await table.item(other.access.id)).toBeDefined();
  });

  it('writes one item when no old token of the subject is stored', async () => {
    const subject = aSubject();
    const now = await tokensOf(subject, 'keyed');
    const records = await table.recordsOf(() =>
      revokeSubjectTokens(table.store, clock, OPERATOR, subject, subjectKeyOf),
    );
    expect(records.map(keyOf)).toEqual([`${SUBJECT_KEY_PREFIX}${subjectKeyOf(subject)}`]);
    expect(await table.item(`${SUBJECT_KEY_PREFIX}${legacySubjectKeyOf(subject)}`)).toBeUndefined();
    expect(await active(now.access)).toBe(false);
  });

  it('still honours a cut-off an old version wrote under the plain hash, for the old tokens it covered', async () => {
    const subject = aSubject();
    const old = await tokensOf(subject, 'legacy');
    // What version 2 wrote: the cut-off under the plain hash.
    await table.store.cutOffSubject(
      { subjectKey: legacySubjectKeyOf(subject), subject, tokensRevokedBefore: clock(), expiresAt: 4e9 },
      { ...OPERATOR, at: clock() },
    );
    expect(await active(old.access)).toBe(false);
    // A token minted now, under the keyed hash, is not covered by that earlier cut-off.
    const now = await tokensOf(subject, 'keyed');
    expect(await active(now.access)).toBe(true);
  });
});
