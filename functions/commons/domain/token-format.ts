import { createHash, createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { PresentedToken, TokenKind, TokenRefs } from './model.ts';
import { hashSecret } from './secrets.ts';

/**
 * The token format (documented in docs/CONTRACT.md, "Token format"):
 *
 *   rvk_at_<clientId>.<grantId>.<subjectKey>.<random>.<checksum>      (rvk_rt_ for refresh tokens)
 *
 * - the prefix names the kind, so people and secret scanners recognise a leaked token;
 * - clientId, grantId (empty without a grant) and subjectKey (empty without a subject) are the keys of
 *   every item that decides whether the token is active, so one BatchGetItem of fixed keys decides it;
 *   they are identifiers, never secrets, and the subject appears only as a keyed hash (see `subjectKeyer`);
 * - random: 256 bits from the CSPRNG, base64url (43 characters): what makes the token unguessable;
 * - checksum: CRC-32 of everything before it, base64url (6 characters), so a mistyped or truncated token
 *   is unknown without any table read.
 * Every character is RFC 6750 `b64token` (base64url and `.`). The table key is the SHA-256 of the whole
 * string, so the raw token is never stored.
 */
export const TOKEN_PREFIX: Record<TokenKind, string> = { access: 'rvk_at_', refresh: 'rvk_rt_' };

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const KEY = /^[A-Za-z0-9_-]{22}$/;
const RANDOM = /^[A-Za-z0-9_-]{43}$/;

function checksum(body: string): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(body));
  return bytes.toString('base64url');
}

/** A new grant id: 128 random bits, base64url. */
export const newGrantId = (): string => randomBytes(16).toString('base64url');

/** The key of a subject's cut-off item, derived from the subject (see `subjectKeyer`). */
export type SubjectKeyer = (subject: string) => string;

/** Bytes of the subject key: 128 bits, the same length as before version 3, so the token format stands. */
const SUBJECT_KEY_BYTES = 16;

/**
 * [v3] Subject keys of this deployment: HMAC-SHA-256 of the subject under the deployment's secret, its
 * first 128 bits, base64url. Tokens name this key instead of the subject, so a token carries no personal
 * data, and, the hash being keyed, whoever holds a token cannot confirm a guessed subject by hashing it
 * (a plain SHA-256 of `alice` is the same everywhere).
 */
export function subjectKeyer(secret: Uint8Array): SubjectKeyer {
  if (secret.length < 16) throw new Error('the subject key secret must have at least 128 bits');
  const key = Buffer.from(secret);
  return (subject) =>
    createHmac('sha256', key)
      .update(subject, 'utf8')
      .digest()
      .subarray(0, SUBJECT_KEY_BYTES)
      .toString('base64url');
}

/**
 * The subject key of tokens minted before version 3: 128 bits of the subject's plain SHA-256. Such tokens
 * stay valid until they expire; a subject's cut-off reaches them through a second item under this key
 * (see `revokeSubjectTokens`), and the sweep of a cut-off deletes them too.
 */
export function legacySubjectKeyOf(subject: string): string {
  return createHash('sha256')
    .update(subject, 'utf8')
    .digest()
    .subarray(0, SUBJECT_KEY_BYTES)
    .toString('base64url');
}

/** A new raw token naming `refs`. */
export function formatToken(refs: TokenRefs): string {
  const random = randomBytes(32).toString('base64url');
  const body = `${TOKEN_PREFIX[refs.kind]}${refs.clientId}.${refs.grantId ?? ''}.${refs.subjectKey ?? ''}.${random}`;
  return `${body}.${checksum(body)}`;
}

/** What a raw token names, or undefined when its prefix, shape or checksum is wrong. Reads nothing. */
export function parseToken(raw: string): TokenRefs | undefined {
  const kind = raw.startsWith(TOKEN_PREFIX.access)
    ? 'access'
    : raw.startsWith(TOKEN_PREFIX.refresh)
      ? 'refresh'
      : undefined;
  if (kind === undefined) return undefined;
  const parts = raw.slice(TOKEN_PREFIX[kind].length).split('.');
  if (parts.length !== 5) return undefined;
  const [clientId = '', grantId = '', subjectKey = '', random = '', sum = ''] = parts;
  if (!ID.test(clientId) || !RANDOM.test(random)) return undefined;
  if ((grantId !== '' && !KEY.test(grantId)) || (subjectKey !== '' && !KEY.test(subjectKey)))
    return undefined;
  // Every refresh token belongs to a grant.
  if (kind === 'refresh' && grantId === '') return undefined;
  if (checksum(raw.slice(0, raw.length - sum.length - 1)) !== sum) return undefined;
  return {
    kind,
    clientId,
    ...(grantId !== '' && { grantId }),
    ...(subjectKey !== '' && { subjectKey }),
  };
}

/** A presented raw token: hashed once, parsed once. */
export function presentToken(raw: string): PresentedToken {
  return { id: hashSecret(raw), refs: parseToken(raw) };
}
