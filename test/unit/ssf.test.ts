import { describe, expect, it } from 'vitest';
import type { RevocationEvent } from '#commons/domain/events.ts';
import {
  deliversSubject,
  eventsDelivered,
  RETRY_FOR_MS,
  retryDelayMs,
  SESSION_REVOKED,
  setBodyOf,
  setJti,
  subjectKey,
  VERIFICATION,
  verificationBody,
} from '#commons/domain/ssf.ts';

const ISS = 'https://revocation.example';
const event = (type: string, fields: Partial<RevocationEvent> = {}): RevocationEvent =>
  ({
    type,
    id: 'evt-1',
    time: 1_700_000_000_123,
    actor: { type: 'client', id: 'c' },
    ...fields,
  }) as RevocationEvent;

describe('SETs made from revocation events', () => {
  it('maps a revoked grant with a subject to session-revoked about the user and the session', () => {
    expect(setBodyOf(event('grant.revoked', { grantId: 'g1', subject: 'alice' }), ISS)).toEqual({
      sub_id: {
        format: 'complex',
        user: { format: 'iss_sub', iss: ISS, sub: 'alice' },
        session: { format: 'opaque', id: 'g1' },
      },
      events: {
        [SESSION_REVOKED]: { event_timestamp: 1_700_000_000, reason_admin: { en: 'grant revoked' } },
      },
      txn: 'evt-1',
      time: 1_700_000_000_123,
      eventType: SESSION_REVOKED,
    });
  });

  it('names the grant alone when it has no subject, and says why for reuse detection', () => {
    const body = setBodyOf(event('refresh_token.reuse_detected', { grantId: 'g2' }), ISS);
    expect(body?.sub_id).toEqual({ format: 'opaque', id: 'g2' });
    expect(body?.events[SESSION_REVOKED]?.reason_admin).toEqual({ en: 'refresh token reuse detected' });
  });

  it("maps a subject's cut-off to every session of the iss_sub user", () => {
    expect(setBodyOf(event('subject.tokens_revoked', { subject: 'bob' }), ISS)?.sub_id).toEqual({
      format: 'iss_sub',
      iss: ISS,
      sub: 'bob',
    });
  });

  it("names a trusted issuer's family by that issuer's user", () => {
    const family = {
      ...event('family.revoked', { subject: 'carol' }),
      issuer: 'https://idp.example',
      family: 'f1',
    };
    expect(setBodyOf(family as RevocationEvent, ISS)?.sub_id).toEqual({
      format: 'complex',
      user: { format: 'iss_sub', iss: 'https://idp.example', sub: 'carol' },
      session: { format: 'opaque', id: 'f1' },
    });
  });

  it('makes no SET where no SSF subject fits', () => {
    for (const type of ['token.revoked', 'client.tokens_revoked', 'client.deleted', 'sweep.completed']) {
      expect(setBodyOf(event(type, { clientId: 'c', tokenId: 't', grantId: 'g' }), ISS)).toBeUndefined();
    }
  });

  it('gives one event on one stream one jti, and another stream another', () => {
    expect(setJti('s1', 'e1')).toBe(setJti('s1', 'e1'));
    expect(setJti('s1', 'e1')).not.toBe(setJti('s2', 'e1'));
    expect(setJti('s1', 'e1')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('carries the receiver state in a verification event about the stream', () => {
    expect(verificationBody('s1', 'xyz', 5)).toMatchObject({
      sub_id: { format: 'opaque', id: 's1' },
      events: { [VERIFICATION]: { state: 'xyz' } },
    });
  });
});

describe('stream rules', () => {
  it('delivers what was requested and supported, everything supported when nothing was requested', () => {
    expect(eventsDelivered({})).toEqual([SESSION_REVOKED]);
    expect(eventsDelivered({ eventsRequested: ['https://example.com/other'] })).toEqual([]);
  });

  it('leaves out a removed subject by iss_sub, email or opaque', () => {
    const subject = {
      format: 'complex' as const,
      user: { format: 'iss_sub' as const, iss: ISS, sub: 'Dana@Example.com' },
      session: { format: 'opaque' as const, id: 'g9' },
    };
    expect(deliversSubject({ excluded: [] }, subject)).toBe(true);
    expect(
      deliversSubject(
        { excluded: [subjectKey({ format: 'iss_sub', iss: ISS, sub: 'Dana@Example.com' })] },
        subject,
      ),
    ).toBe(false);
    expect(
      deliversSubject({ excluded: [subjectKey({ format: 'email', email: 'dana@example.com' })] }, subject),
    ).toBe(false);
    expect(deliversSubject({ excluded: [subjectKey({ format: 'opaque', id: 'g9' })] }, subject)).toBe(false);
    expect(
      deliversSubject(
        { excluded: [subjectKey({ format: 'iss_sub', iss: 'https://other', sub: 'Dana@Example.com' })] },
        subject,
      ),
    ).toBe(true);
  });

  it('retries for at least 24 hours with exponential backoff, jitter and a 15-minute cap', () => {
    expect(retryDelayMs(1, 0)).toBe(500);
    expect(retryDelayMs(1, 0.999)).toBeLessThanOrEqual(1000);
    expect(retryDelayMs(5, 0)).toBe(8000);
    expect(retryDelayMs(50, 0.999)).toBeLessThanOrEqual(900_000);
    // Even with the shortest jitter every time, attempts go on until RETRY_FOR_MS has passed.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < RETRY_FOR_MS) elapsed += retryDelayMs(++attempts, 0);
    expect(attempts).toBeGreaterThan(100);
    expect(attempts).toBeLessThan(250);
  });
});
