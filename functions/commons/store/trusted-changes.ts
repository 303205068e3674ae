/**
 * [v3] What a change of a trusted issuer's item, or of a revocation record or cut-off of its tokens,
 * means: the part of `changes.ts` for this feature. Every event here is built by the same functions the
 * revoking handler's audit line uses, so the two carry the same id.
 */
import type { RevocationEvent } from '../domain/events.ts';
import { issuerCutoffEvent, issuerDeletedEvent, trustedCutoffEvent } from '../domain/trusted-admin.ts';
import { trustedRecordEvent } from '../domain/trusted-tokens.ts';
import {
  ATTR,
  ISSUER_KEY_PREFIX,
  PARTITION_KEY,
  TRUSTED_CLIENT_KEY_PREFIX,
  TRUSTED_FAMILY_KEY_PREFIX,
  TRUSTED_SUBJECT_KEY_PREFIX,
  TRUSTED_TOKEN_KEY_PREFIX,
} from '../schema.ts';
import { CorruptItem, type Item, revokerFromItem } from './items.ts';
import { revocationRecordFromItem } from './trusted-items.ts';

interface Change {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly oldImage?: Item | undefined;
  readonly newImage?: Item | undefined;
}

const numberAt = (image: Item | undefined, attribute: string) => {
  const value = image?.[attribute];
  return typeof value === 'number' ? value : undefined;
};

function stringAt(image: Item, attribute: string): string {
  const value = image[attribute];
  if (typeof value !== 'string') throw new CorruptItem(image[PARTITION_KEY], attribute);
  return value;
}

/** Whether a key is a trusted issuer's item or one of its tokens' revocation records and cut-offs. */
export function isTrustedKey(key: string): boolean {
  return [
    ISSUER_KEY_PREFIX,
    TRUSTED_TOKEN_KEY_PREFIX,
    TRUSTED_FAMILY_KEY_PREFIX,
    TRUSTED_CLIENT_KEY_PREFIX,
    TRUSTED_SUBJECT_KEY_PREFIX,
  ].some((prefix) => key.startsWith(prefix));
}

/**
 * The revocation a change of a trusted item records, if any: an issuer's deletion or new cut-off, a
 * revocation record written (first, or again after it expired), a client's or subject's cut-off moved.
 * A registration (made anew over a tombstone included) is not a revocation.
 */
export function trustedRevocationOf(change: Change): RevocationEvent | undefined {
  const { newImage, oldImage } = change;
  if (change.eventName === 'REMOVE' || !newImage) return undefined;
  const key = String(newImage[PARTITION_KEY]);
  const mark = (at: number) => ({ at, ...revokerFromItem(newImage) });
  const changed = (attribute: string) => {
    const now = numberAt(newImage, attribute);
    return now !== undefined && now !== numberAt(oldImage, attribute) ? now : undefined;
  };

  if (key.startsWith(ISSUER_KEY_PREFIX)) {
    // Revocations modify a registered issuer; an INSERT, or a Put over a tombstone, is a registration.
    if (change.eventName !== 'MODIFY' || !oldImage || oldImage[ATTR.deletedAt] !== undefined)
      return undefined;
    const issuer = { issuerId: key.slice(ISSUER_KEY_PREFIX.length), issuer: stringAt(newImage, ATTR.issuer) };
    const deletedAt = changed(ATTR.deletedAt);
    if (deletedAt !== undefined) return issuerDeletedEvent(issuer, mark(deletedAt));
    if (newImage[ATTR.deletedAt] !== undefined) return undefined;
    const before = changed(ATTR.tokensRevokedBefore);
    return before === undefined ? undefined : issuerCutoffEvent(issuer, mark(before));
  }
  if (key.startsWith(TRUSTED_TOKEN_KEY_PREFIX) || key.startsWith(TRUSTED_FAMILY_KEY_PREFIX)) {
    const at = changed(ATTR.revokedAt);
    return at === undefined ? undefined : trustedRecordEvent(revocationRecordFromItem(newImage), mark(at));
  }
  const client = key.startsWith(TRUSTED_CLIENT_KEY_PREFIX);
  if (client || key.startsWith(TRUSTED_SUBJECT_KEY_PREFIX)) {
    const before = changed(ATTR.tokensRevokedBefore);
    if (before === undefined) return undefined;
    const prefix = client ? TRUSTED_CLIENT_KEY_PREFIX : TRUSTED_SUBJECT_KEY_PREFIX;
    const issuerId = key.slice(prefix.length).split('#')[0] ?? '';
    return trustedCutoffEvent(
      {
        issuerId,
        issuer: stringAt(newImage, ATTR.issuer),
        scope: client
          ? { of: 'client', clientId: stringAt(newImage, ATTR.trustedClientId) }
          : { of: 'subject', subject: stringAt(newImage, ATTR.trustedSubject) },
        tokensRevokedBefore: before,
        expiresAt: numberAt(newImage, ATTR.expiresAt) ?? 0,
      },
      mark(before),
    );
  }
  return undefined;
}
