/**
 * What a change of the table (a stream record's images) means: the one place that reads revocations back
 * from the items their writes changed. The sweeper and the publisher both start here, so they agree on
 * what is a revocation; the event filters on their event source mappings (manifest) only narrow what
 * reaches them, this decides. Each event is built by the constructor of its kind (domain/events.ts), the
 * one the revoking handler's audit line uses, from what the item recorded.
 */
import {
  clientDeletedEvent,
  clientTokensRevokedEvent,
  grantRevokedEvent,
  type RevocationEvent,
  subjectTokensRevokedEvent,
  sweepCompletedEvent,
  tokenRevokedEvent,
} from '../domain/events.ts';
import {
  ATTR,
  CLIENT_KEY_PREFIX,
  GRANT_KEY_PREFIX,
  PARTITION_KEY,
  SUBJECT_KEY_PREFIX,
  SWEEP_KEY_PREFIX,
} from '../schema.ts';
import {
  clientFromItem,
  grantFromItem,
  type Item,
  revokerFromItem,
  subjectCutoffFromItem,
  sweepFromItem,
  tokenFromItem,
} from './items.ts';
import { isTrustedKey, trustedRevocationOf } from './trusted-changes.ts';

export interface ItemChange {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly oldImage?: Item | undefined;
  readonly newImage?: Item | undefined;
}

/** The revocation a revoked grant's item records (its first mark, whatever was written since). */
function grantRevocation(image: Item): RevocationEvent {
  const grant = grantFromItem(image);
  const tokenId = image[ATTR.revokedTokenId];
  return grantRevokedEvent(grant, {
    at: grant.revokedAt ?? 0,
    ...revokerFromItem(image),
    reason: image[ATTR.revokedReason] === 'reuse_detected' ? 'reuse_detected' : 'revoked',
    ...(typeof tokenId === 'string' && { tokenId }),
  });
}

/**
 * A revoked grant revoked again, or a deleted client deleted again (a new `sweepRequestedAt`): its first
 * revocation, to sweep once more.
 * Not a revocation of its own, so never an event: the sweeper alone reads these, and the sweep it records
 * again under the same revocation id publishes nothing new.
 */
export function resweepOf(change: ItemChange): RevocationEvent | undefined {
  const { newImage, oldImage } = change;
  if (change.eventName !== 'MODIFY' || !newImage || !oldImage) return undefined;
  const requested = newImage[ATTR.sweepRequestedAt];
  if (requested === undefined || requested === oldImage[ATTR.sweepRequestedAt]) return undefined;
  const key = String(newImage[PARTITION_KEY]);
  if (key.startsWith(GRANT_KEY_PREFIX) && oldImage[ATTR.revokedAt] !== undefined) {
    return grantRevocation(newImage);
  }
  // A deleted client deleted again: its first deletion, to sweep once more.
  if (key.startsWith(CLIENT_KEY_PREFIX) && oldImage[ATTR.deletedAt] !== undefined) {
    const clientId = key.slice(CLIENT_KEY_PREFIX.length);
    const mark = { at: Number(newImage[ATTR.deletedAt]), ...revokerFromItem(newImage) };
    return clientDeletedEvent(clientId, mark);
  }
  return undefined;
}

/**
 * The revocation a change records, if any. Removals never are: a revocation is always a write that
 * records who made it, and the removals are sweeps and TTL expiry (expiry is not an event).
 */
export function revocationOf(change: ItemChange): RevocationEvent | undefined {
  const { newImage, oldImage } = change;
  if (change.eventName === 'REMOVE' || !newImage) return undefined;
  const key = String(newImage[PARTITION_KEY]);
  const became = (attribute: string) =>
    newImage[attribute] !== undefined && oldImage?.[attribute] === undefined;
  const mark = (at: number) => ({ at, ...revokerFromItem(newImage) });
  // [v3] A trusted issuer's item, or a revocation record or cut-off of its tokens.
  if (isTrustedKey(key)) return trustedRevocationOf(change);

  if (key.startsWith(SWEEP_KEY_PREFIX)) {
    if (change.eventName !== 'INSERT') return undefined;
    return sweepCompletedEvent(sweepFromItem(newImage));
  }
  if (key.startsWith(GRANT_KEY_PREFIX)) {
    return became(ATTR.revokedAt) ? grantRevocation(newImage) : undefined;
  }
  if (key.startsWith(CLIENT_KEY_PREFIX)) {
    const clientId = key.slice(CLIENT_KEY_PREFIX.length);
    if (became(ATTR.deletedAt)) {
      return clientDeletedEvent(clientId, mark(Number(newImage[ATTR.deletedAt])));
    }
    if (newImage[ATTR.deletedAt] !== undefined) return undefined;
    const before = clientFromItem(newImage).tokensRevokedBefore;
    if (before === undefined || before === oldImage?.[ATTR.tokensRevokedBefore]) return undefined;
    return clientTokensRevokedEvent(clientId, mark(before));
  }
  if (key.startsWith(SUBJECT_KEY_PREFIX)) {
    // A mirror of a keyed cut-off for tokens minted before version 3: that cut-off is the revocation.
    if (newImage[ATTR.mirrorOf] !== undefined) return undefined;
    const cutoff = subjectCutoffFromItem(newImage);
    if (cutoff.tokensRevokedBefore === oldImage?.[ATTR.tokensRevokedBefore]) return undefined;
    return subjectTokensRevokedEvent(cutoff, mark(cutoff.tokensRevokedBefore));
  }
  if (key.includes('#') || !became(ATTR.revokedAt)) return undefined;
  return tokenRevokedEvent(tokenFromItem(newImage), mark(Number(newImage[ATTR.revokedAt])));
}
