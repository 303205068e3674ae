/**
 * Secret rotation in two writes, so that a rotation answered 503 never takes effect behind the caller's
 * back (contract: common rules on 503). DynamoDB may apply a write after the SDK gave up on it (a frozen
 * or partitioned DynamoDB, then a thaw); no condition can tell a write applied late from one applied on
 * time, so each write is made harmless or visible if it lands late:
 *
 * 1. The rotation: the new hash becomes current, and the hash current before the (first) unconfirmed
 *    rotation stays accepted, with the rotation's random nonce. Landing late after a 503, it leaves a
 *    current secret nobody holds (256 random bits: useless) beside the old one, which keeps working:
 *    nothing the caller can notice changed. Their retry rotates again, keeping that same old secret.
 * 2. The confirmation, conditional on the nonce: the old secret gets its grace (or stops at once). It
 *    runs only after write 1 succeeded, and the answer is 200 with the new secret whether it succeeds or
 *    not, so the caller holds the new secret in either case: a late confirmation does only what the 200
 *    promised. If it never lands (a lasting outage right between the writes) the old secret stays
 *    accepted until the next rotation: the failure is logged, and the caller rotates again to end it.
 *
 * Rejected: a pending secret that becomes current on its first use (keeps a compromised secret alive
 * until the client redeploys, whatever grace was asked), and a fencing write after the 503 (on a frozen
 * DynamoDB it queues behind the write it should fence, and a Lambda may be frozen before sending it).
 */
import { randomBytes } from 'node:crypto';
import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { InvalidInput, InvalidRequest, NotFound, StoreUnavailable } from './errors.ts';
import type { AdminStore, Clock } from './model.ts';
import { hashSecret, mintSecret } from './secrets.ts';

/** The longest grace an old secret may get: a day, enough to roll a fleet, short enough to matter. */
export const MAX_PREVIOUS_SECRET_GRACE_SECONDS = 86_400;

/**
 * Gives a confidential client a new secret (returned once; only its hash is stored). The old secret
 * keeps working for `graceSeconds` (0: it stops at once), then never again. `NotFound` for an unknown
 * client, `InvalidRequest` for a public one, which has no secret to rotate. `onUnconfirmed` hears of a
 * rotation whose confirmation failed (the old secret stays accepted until the next rotation).
 */
export async function rotateClientSecret(
  store: Pick<AdminStore, 'rotateClientSecret' | 'confirmSecretRotation'>,
  clock: Clock,
  clientId: string,
  graceSeconds: number,
  onUnconfirmed?: (error: StoreUnavailable) => void,
): Promise<string> {
  if (
    !Number.isInteger(graceSeconds) ||
    graceSeconds < 0 ||
    graceSeconds > MAX_PREVIOUS_SECRET_GRACE_SECONDS
  ) {
    throw new InvalidInput(
      'previousSecretGraceSeconds',
      `must be an integer number of seconds from 0 to ${MAX_PREVIOUS_SECRET_GRACE_SECONDS}`,
    );
  }
  // Longer ids were never issued: not found without touching the table.
  if (clientId.length > MAX_CLIENT_ID_LENGTH) throw new NotFound('client');
  const secret = mintSecret();
  const nonce = randomBytes(16).toString('base64url');
  const outcome = await store.rotateClientSecret(clientId, { secretHash: hashSecret(secret), nonce });
  if (outcome === 'missing') throw new NotFound('client');
  if (outcome === 'public') throw new InvalidRequest('a public client has no secret to rotate');
  // The rotation is in place and the old secret still works; from here on the caller must get the new
  // secret, so a failed confirmation is logged by the store and still answered 200 (see the file note).
  try {
    await store.confirmSecretRotation(
      clientId,
      nonce,
      graceSeconds > 0 ? clock() + graceSeconds * 1000 : undefined,
    );
  } catch (error) {
    if (!(error instanceof StoreUnavailable)) throw error;
    onUnconfirmed?.(error);
  }
  return secret;
}
