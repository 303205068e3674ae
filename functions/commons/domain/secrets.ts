import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new opaque token or client secret: 256 bits from the CSPRNG, base64url (43 characters). */
export function mintSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The stored form of a token or secret: SHA-256, base64url. A fast hash is enough because every value
 * hashed here carries 256 bits of entropy, so there is nothing to brute-force.
 */
export function hashSecret(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('base64url');
}

/** Constant-time check of a presented secret against a stored hash. */
export function secretMatches(presented: string, storedHash: string | undefined): boolean {
  const presentedHash = Buffer.from(hashSecret(presented));
  // Compare against a same-length dummy when there is no stored hash, so timing does not tell.
  const expected = Buffer.from(storedHash ?? hashSecret(''));
  return expected.length === presentedHash.length && timingSafeEqual(presentedHash, expected) && !!storedHash;
}

/** A short, non-reversible handle for logs: the first characters of the token's hash. */
export function idPrefix(tokenId: string): string {
  return tokenId.slice(0, 8);
}
