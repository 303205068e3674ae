import { describe, expect, it } from 'vitest';
import { AuthThrottle } from '#commons/domain/auth-throttle.ts';
import { TooManyFailedAuthentications } from '#commons/domain/errors.ts';

/** A throttle on a clock the test moves by hand. */
function throttle(options: { limit?: number; windowMs?: number; maxEntries?: number } = {}) {
  let now = 1_000_000;
  const instance = new AuthThrottle({
    limit: options.limit ?? 20,
    windowMs: options.windowMs ?? 60_000,
    clock: () => now,
    ...(options.maxEntries !== undefined && { maxEntries: options.maxEntries }),
  });
  return {
    throttle: instance,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** The error `check` throws, or undefined when it lets the attempt through. */
function refusal(t: AuthThrottle, clientId: string, ip: string): TooManyFailedAuthentications | undefined {
  try {
    t.check(clientId, ip);
    return undefined;
  } catch (error) {
    if (error instanceof TooManyFailedAuthentications) return error;
    throw error;
  }
}

const fail = (t: AuthThrottle, clientId: string, ip: string, times: number) => {
  for (let i = 0; i < times; i++) t.recordFailure(clientId, ip);
};

describe('failed client authentication throttle (per client id and source IP)', () => {
  it('lets 20 failures through and refuses the 21st attempt until 60 s after the first failure', () => {
    const { throttle: t, advance } = throttle();
    for (let i = 1; i <= 20; i++) {
      expect(refusal(t, 'app', '192.0.2.1')).toBeUndefined();
      expect(t.recordFailure('app', '192.0.2.1')).toBe(i);
      advance(1000);
    }
    // 20 s after the first failure: 40 s of the window remain.
    const refused = refusal(t, 'app', '192.0.2.1');
    expect(refused?.retryAfterSeconds).toBe(40);
    expect(refused?.message).toBe('too many failed client authentications');
    advance(39_500);
    expect(refusal(t, 'app', '192.0.2.1')?.retryAfterSeconds).toBe(1);
    advance(500);
    expect(refusal(t, 'app', '192.0.2.1')).toBeUndefined();
  });

  it('does not extend the window with refused attempts', () => {
    const { throttle: t, advance } = throttle({ limit: 3, windowMs: 10_000 });
    fail(t, 'app', '192.0.2.1', 3);
    const retries: (number | undefined)[] = [];
    for (let i = 0; i < 9; i++) {
      retries.push(refusal(t, 'app', '192.0.2.1')?.retryAfterSeconds);
      advance(1000);
    }
    expect(retries).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2]);
    advance(1000);
    expect(refusal(t, 'app', '192.0.2.1')).toBeUndefined();
  });

  it('starts a new window with the first failure after the old one passed', () => {
    const { throttle: t, advance } = throttle({ limit: 2, windowMs: 10_000 });
    fail(t, 'app', '192.0.2.1', 2);
    advance(10_000);
    expect(t.recordFailure('app', '192.0.2.1')).toBe(1);
    expect(refusal(t, 'app', '192.0.2.1')).toBeUndefined();
    advance(9_000);
    expect(t.recordFailure('app', '192.0.2.1')).toBe(2);
    expect(refusal(t, 'app', '192.0.2.1')?.retryAfterSeconds).toBe(1);
  });

  it('counts each pair alone: other source IPs and other client ids are unaffected', () => {
    const { throttle: t } = throttle({ limit: 2 });
    fail(t, 'app', '192.0.2.1', 2);
    expect(refusal(t, 'app', '192.0.2.1')).toBeInstanceOf(TooManyFailedAuthentications);
    expect(refusal(t, 'app', '192.0.2.2')).toBeUndefined();
    expect(refusal(t, 'other', '192.0.2.1')).toBeUndefined();
  });

  it('forgets pairs whose window passed, so memory follows only the recent failures', () => {
    const { throttle: t, advance } = throttle({ windowMs: 1000 });
    for (let i = 0; i < 100; i++) t.recordFailure(`client-${i}`, '192.0.2.1');
    expect(t.size).toBe(100);
    advance(1000);
    t.recordFailure('late', '192.0.2.1');
    expect(t.size).toBe(1);
  });

  it('holds at most maxEntries counted pairs, forgetting the oldest window first, but never a locked pair', () => {
    const { throttle: t, advance } = throttle({ limit: 2, maxEntries: 3 });
    fail(t, 'locked', '192.0.2.1', 2);
    t.recordFailure('counted', '192.0.2.1');
    for (const id of ['b', 'c', 'd']) {
      advance(1);
      t.recordFailure(id, '192.0.2.1');
    }
    // Three counted pairs and the lock: counting is approximate, memory is bounded.
    expect(t.size).toBe(4);
    // The oldest counted pair was dropped: its next failure starts a new count.
    expect(t.recordFailure('counted', '192.0.2.1')).toBe(1);
    // The locked pair was not.
    expect(refusal(t, 'locked', '192.0.2.1')).toBeInstanceOf(TooManyFailedAuthentications);
  });

  it('keys a claimed id longer than any issued by its hash, and still counts it', () => {
    const { throttle: t } = throttle({ limit: 1 });
    const huge = 'x'.repeat(20_000);
    t.recordFailure(huge, '192.0.2.1');
    expect(refusal(t, huge, '192.0.2.1')).toBeInstanceOf(TooManyFailedAuthentications);
    expect(refusal(t, `${huge}y`, '192.0.2.1')).toBeUndefined();
  });
});

describe('a flood of made-up pairs', () => {
  it('cannot push a locked pair out: after 20,000 junk pairs the locked pair is still refused', () => {
    const { throttle: t, advance } = throttle();
    fail(t, 'victim-client', '203.0.113.7', 20);
    expect(refusal(t, 'victim-client', '203.0.113.7')).toBeInstanceOf(TooManyFailedAuthentications);
    for (let i = 0; i < 20_000; i++) t.recordFailure(`made-up-${i}`, `198.51.100.${i % 256}`);
    advance(1000);
    expect(refusal(t, 'victim-client', '203.0.113.7')).toBeInstanceOf(TooManyFailedAuthentications);
    // Memory stays bounded all the same: the counted pairs at their cap, plus the one lock.
    expect(t.size).toBe(10_001);
    // And the lock still ends with its window.
    advance(60_000);
    expect(refusal(t, 'victim-client', '203.0.113.7')).toBeUndefined();
  });
});
