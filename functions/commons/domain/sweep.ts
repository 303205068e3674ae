import type { RevocationEvent, SweepTarget } from './events.ts';
import type { Clock, Store } from './model.ts';

/**
 * The tokens a revocation made inactive and a sweep must delete; undefined for a revocation that leaves
 * nothing to sweep (one token, or a sweep itself).
 */
export function sweepTargetOf(event: RevocationEvent): SweepTarget | undefined {
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
    case 'subject.tokens_revoked':
      return event.subjectKey === undefined
        ? undefined
        : {
            of: 'subject',
            subjectKey: event.subjectKey,
            issuedUpTo: event.tokensRevokedBefore ?? event.time,
          };
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
export async function sweep(store: Store, clock: Clock, event: RevocationEvent): Promise<number | undefined> {
  const target = sweepTargetOf(event);
  if (!target) return undefined;
  const count =
    target.of === 'grant'
      ? await store.deleteTokensOfGrant(target.grantId)
      : target.of === 'client'
        ? await store.deleteTokensOfClient(target.clientId, target.issuedUpTo)
        : await store.deleteTokensOfSubject(target.subjectKey, target.issuedUpTo);
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
