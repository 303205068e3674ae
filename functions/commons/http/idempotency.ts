import { InvalidInput } from '../domain/errors.ts';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../domain/idempotency.ts';

/** The header's name as the contract and error messages spell it (API Gateway delivers it lower-case). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * The request's `Idempotency-Key`, undefined when it sent none. An empty or over-long key is a 400
 * naming the header: silently ignoring it would turn a caller's retry into a second client.
 */
export function readIdempotencyKey(
  headers: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const value = headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  if (value === '' || value.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidInput(
      IDEMPOTENCY_KEY_HEADER,
      `header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
    );
  }
  return value;
}
