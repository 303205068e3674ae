import { StoreUnavailable } from './errors.ts';
import type { RevocationEvent, SweepTarget } from './events.ts';
import type { Clock, SweepStore } from './model.ts';
import { legacySubjectKeyOf } from './token-format.ts';

/**
 * The tokens a revocation made inactive and a sweep must delete; undefined for a revocation that leaves
 * nothing to sweep (one token, or a sweep itself).
 */
export function sweepTargetOf(event: RevocationEvent): SweepTarget | undefined {
  // [v3] A trusted issuer's tokens are never stored (their revocations are records and cut-offs), and its
  // client ids and subjects are not the service's: nothing to sweep.
  if (event.issuer !== undefined) return undefined;
  switch (event.type) {
    case 'grant.revoked':
    case 'refresh_token.reuse_detected':
      return event.grantId === undefined ? undefined : { of: 'grant', grantId: event.grantId };
    case 'client.deleted':
      return event.clientId === undefined ? undefined : { of: 'client', clientId: event.clientId };
    case 'client.tokens_revoked':
      return event.clientId === undefined
        ? undefined
        : { of: 'client', clientId: event.clientId, issuedUpTo: event.tokensRevokedBefore ?? event.time };
    case 'subject.tokens_revoked': {
      if (event.subjectKey === undefined) return undefined;
      // Tokens minted before version 3 name the subject's plain hash: the same cut-off covers them.
      const legacy = event.subject === undefined ? undefined : legacySubjectKeyOf(event.subject);
      return {
        of: 'subject',
        subjectKey: event.subjectKey,
        ...(legacy !== undefined && legacy !== event.subjectKey && { legacySubjectKey: legacy }),
        issuedUpTo: event.tokensRevokedBefore ?? event.time,
      };
    }
    default:
      return undefined;
  }
}

/**
 * Deletes the tokens a revocation made inactive, through the matching index, then records the sweep
 * (the publisher turns the record into `sweep.completed`). A sweep never decides activity: the tokens are
 * inactive already; it only removes them. Idempotent: run again (a retried stream batch), it deletes what
 * is left and records the sweep under the same key. Returns the tokens deleted, undefined when the
 * revocation leaves nothing to sweep.
 */
export async function sweep(
  store: SweepStore,
  clock: Clock,
  event: RevocationEvent,
): Promise<number | undefined> {
  const target = sweepTargetOf(event);
  if (!target) return undefined;
  const count =
    target.of === 'grant'
      ? await store.deleteTokensOfGrant(target.grantId)
      : target.of === 'client'
        ? await store.deleteTokensOfClient(target.clientId, target.issuedUpTo)
        : (await store.deleteTokensOfSubject(target.subjectKey, target.issuedUpTo)) +
          (target.legacySubjectKey === undefined
            ? 0
            : await store.deleteTokensOfSubject(target.legacySubjectKey, target.issuedUpTo));
  await store.recordSweep({
    revocationId: event.id,
    ...(event.clientId !== undefined && { clientId: event.clientId }),
    ...(event.grantId !== undefined && { grantId: event.grantId }),
    ...(event.subject !== undefined && { subject: event.subject }),
    count,
    completedAt: clock(),
  });
  return count;
}

/** How a sweep that meets an unavailable store is retried. */
export interface SweepRetry {
  /** Milliseconds the caller may still spend (a Lambda's remaining time); no retry when absent. */
  readonly remainingMs: () => number | undefined;
  /** Time kept back for the last attempt and the answer (a sweep's pages take seconds). */
  readonly reserveMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called before each wait, for the log line that says the store is being waited for. */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/** Backoff between sweep attempts: 1, 2, 4, 8 s, then 10 s, each with up to a quarter of jitter. */
export function sweepBackoffMs(attempt: number): number {
  const base = Math.min(10_000, 1000 * 2 ** attempt);
  return base - Math.floor(Math.random() * (base / 4));
}

/**
 * `sweep()`, retried with backoff while DynamoDB is unavailable (down, throttling, not answering) and
 * the caller's time allows: an outage of seconds or minutes ends with every token deleted in the same
 * invocation, instead of a batch given up after the store's own short retries. Only unavailability is
 * retried; any other error fails at once (the stream's retries and on-failure queue handle it). Safe
 * because a sweep is idempotent: each attempt deletes what is left.
 */
export async function sweepUntilDone(
  store: SweepStore,
  clock: Clock,
  event: RevocationEvent,
  retry: SweepRetry,
): Promise<number | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sweep(store, clock, event);
    } catch (error) {
      const delay = sweepBackoffMs(attempt);
      const remaining = retry.remainingMs();
      if (
        !(error instanceof StoreUnavailable) ||
        remaining === undefined ||
        remaining - delay < retry.reserveMs
      ) {
        throw error;
      }
      retry.onRetry?.(attempt + 1, delay, error);
      await retry.sleep(delay);
    }
  }
}
