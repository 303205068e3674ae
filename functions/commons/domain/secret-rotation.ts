import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { InvalidInput, InvalidRequest, NotFound } from './errors.ts';
import type { Clock, Store } from './model.ts';
import { hashSecret, mintSecret } from './secrets.ts';

/** The longest grace an old secret may get: a day, enough to roll a fleet, short enough to matter. */
export const MAX_PREVIOUS_SECRET_GRACE_SECONDS = 86_400;

/**
 * Gives a confidential client a new secret (returned once; only its hash is stored). The old secret
 * keeps working for `graceSeconds` (0: it stops at once), then never again. `NotFound` for an unknown
 * client, `InvalidRequest` for a public one, which has no secret to rotate.
 */
export async function rotateClientSecret(
  store: Store,
  clock: Clock,
  clientId: string,
  graceSeconds: number,
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
  const outcome = await store.rotateClientSecret(clientId, {
    secretHash: hashSecret(secret),
    ...(graceSeconds > 0 && { previousSecretExpiresAt: clock() + graceSeconds * 1000 }),
  });
  if (outcome === 'missing') throw new NotFound('client');
  if (outcome === 'public') throw new InvalidRequest('a public client has no secret to rotate');
  return secret;
}
