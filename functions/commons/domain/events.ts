/**
 * Revocations as domain events. A revocation is one write that records who made it (its `Revoker`); the
 * handler's audit line and metric, and the EventBridge event the publisher builds from the table's
 * stream, are all made from the one `RevocationEvent` type below, with the same deterministic `id`, so
 * an audit line and its event join on it and a consumer can deduplicate a redelivered event. Each kind of
 * revocation has one constructor here (the trusted issuers' in trusted-admin.ts and trusted-tokens.ts),
 * which the revoking handler and the stream path (store/changes.ts) both call, so the two cannot drift.
 */
import { createHash } from 'node:crypto';
import type { GrantRecord, GrantRevocation, TokenRecord } from './model.ts';

export type ActorType = 'client' | 'bearer' | 'iam' | 'service';

/** Who revoked: a client (RFC 7009), a bearer (its own token), an IAM principal (admin API), the service. */
export interface Actor {
  readonly type: ActorType;
  /** A client id, an IAM principal ARN, or the service's component (`reuse-detection`, `sweeper`). */
  readonly id: string;
}

/** Who revokes and through which route: written onto the revoking item, so the stream carries it. */
export interface Revoker {
  readonly actor: Actor;
  /** The route key (`POST /oauth2/revoke`); absent when no route was involved. */
  readonly route?: string;
}

/** One revocation write: its instant and who made it. */
export interface RevocationMark extends Revoker {
  /** Epoch milliseconds. */
  readonly at: number;
}

export const REVOCATION_TYPES = [
  'token.revoked',
  'grant.revoked',
  'refresh_token.reuse_detected',
  'client.tokens_revoked',
  'client.deleted',
  'subject.tokens_revoked',
  'sweep.completed',
  // [v3] Trusted issuers: a family of one issuer's tokens, every token of an issuer, an issuer's deletion.
  'family.revoked',
  'issuer.tokens_revoked',
  'issuer.deleted',
] as const;

export type RevocationType = (typeof REVOCATION_TYPES)[number];

export interface RevocationEvent {
  readonly type: RevocationType;
  /** Deterministic: the same revocation always has the same id (see `revocationId`). */
  readonly id: string;
  /** Epoch milliseconds: when the revocation was written (for a sweep: when it completed). */
  readonly time: number;
  readonly actor: Actor;
  readonly route?: string;
  readonly clientId?: string;
  readonly grantId?: string;
  /** The subject as given (events carry it; the audit line carries `subjectKey` only). */
  readonly subject?: string;
  /** The subject's key (a hash of it): what the audit line records. */
  readonly subjectKey?: string;
  /** The token's table id (SHA-256, base64url): never the token. */
  readonly tokenId?: string;
  /** Epoch milliseconds: the cut-off of a client's or subject's tokens. */
  readonly tokensRevokedBefore?: number;
  /** `sweep.completed`: token items the sweep deleted. */
  readonly count?: number;
  /** [v3] A trusted issuer's revocations: the issuer's `iss` string. */
  readonly issuer?: string;
  /** [v3] `token.revoked` of a trusted token: its id (`jti`, or the hash of its signing input). */
  readonly jti?: string;
  /** [v3] `family.revoked`: the family claim's value. */
  readonly family?: string;
}

/**
 * A revocation's id, made from its type, what it revoked (a token id, grant id, client id or subject key;
 * for a trusted issuer's revocations, the item's key without its prefix)
 * and the instant written, so the handler (audit line) and the publisher (event) compute the same one,
 * and a redelivered stream record yields the same event. UUID-shaped (RFC 9562 version 8, name-based).
 */
export function revocationId(type: RevocationType, revoked: string, at: number): string {
  return uuidOf(`${type}\n${revoked}\n${at}`);
}

type EventFields = Omit<RevocationEvent, 'type' | 'id' | 'time' | 'actor' | 'route'>;

/** The event of a revocation write: `revoked` names what it revoked (see `revocationId`). */
export function revocationEvent(
  type: RevocationType,
  revoked: string,
  mark: RevocationMark,
  fields: EventFields,
): RevocationEvent {
  return {
    type,
    id: revocationId(type, revoked, mark.at),
    time: mark.at,
    actor: mark.actor,
    ...(mark.route !== undefined && { route: mark.route }),
    ...fields,
  };
}

/** `token.revoked` of one of the service's tokens: the token as it was when `mark` revoked it. */
export function tokenRevokedEvent(
  token: Pick<TokenRecord, 'id' | 'clientId' | 'grantId' | 'subject' | 'subjectKey'>,
  mark: RevocationMark,
): RevocationEvent {
  return revocationEvent('token.revoked', token.id, mark, {
    tokenId: token.id,
    clientId: token.clientId,
    ...(token.grantId !== undefined && { grantId: token.grantId }),
    ...(token.subject !== undefined && { subject: token.subject, subjectKey: token.subjectKey }),
  });
}

/**
 * A grant's revocation: `grant.revoked`, or `refresh_token.reuse_detected` when the service revoked it on
 * seeing a consumed refresh token again (`mark.tokenId`, the token presented, when there was one).
 */
export function grantRevokedEvent(
  grant: Pick<GrantRecord, 'grantId' | 'clientId' | 'subject' | 'subjectKey'>,
  mark: GrantRevocation,
): RevocationEvent {
  const type = mark.reason === 'reuse_detected' ? 'refresh_token.reuse_detected' : 'grant.revoked';
  return revocationEvent(type, grant.grantId, mark, {
    clientId: grant.clientId,
    grantId: grant.grantId,
    ...(grant.subject !== undefined && { subject: grant.subject, subjectKey: grant.subjectKey }),
    ...(mark.tokenId !== undefined && { tokenId: mark.tokenId }),
  });
}

/** `client.tokens_revoked`: every token of the client issued up to `mark.at` (its cut-off). */
export function clientTokensRevokedEvent(clientId: string, mark: RevocationMark): RevocationEvent {
  return revocationEvent('client.tokens_revoked', clientId, mark, { clientId, tokensRevokedBefore: mark.at });
}

/** `client.deleted`: the client and so every token of it. */
export function clientDeletedEvent(clientId: string, mark: RevocationMark): RevocationEvent {
  return revocationEvent('client.deleted', clientId, mark, { clientId });
}

/** `subject.tokens_revoked`: every token of the subject issued up to `mark.at` (its cut-off). */
export function subjectTokensRevokedEvent(
  cutoff: { readonly subjectKey: string; readonly subject?: string | undefined },
  mark: RevocationMark,
): RevocationEvent {
  return revocationEvent('subject.tokens_revoked', cutoff.subjectKey, mark, {
    ...(cutoff.subject !== undefined && { subject: cutoff.subject }),
    subjectKey: cutoff.subjectKey,
    tokensRevokedBefore: mark.at,
  });
}

/** `sweep.completed`, from the sweeper's record of the sweep (its id derives from the revocation's). */
export function sweepCompletedEvent(sweep: SweepRecord): RevocationEvent {
  return {
    type: 'sweep.completed',
    id: sweepEventId(sweep.revocationId),
    time: sweep.completedAt,
    actor: SWEEPER,
    ...(sweep.clientId !== undefined && { clientId: sweep.clientId }),
    ...(sweep.grantId !== undefined && { grantId: sweep.grantId }),
    ...(sweep.subject !== undefined && { subject: sweep.subject }),
    count: sweep.count,
  };
}

/** The actor of revocations the service makes on its own rules. */
export const REUSE_DETECTION: Actor = { type: 'service', id: 'reuse-detection' };
export const SWEEPER: Actor = { type: 'service', id: 'sweeper' };

/** The id of the `sweep.completed` that follows the revocation with this id: one per sweep, retries included. */
export function sweepEventId(revocationEventId: string): string {
  return uuidOf(`sweep.completed\n${revocationEventId}`);
}

function uuidOf(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** What a sweep must delete: the tokens one revocation made inactive. */
export type SweepTarget =
  | { readonly of: 'grant'; readonly grantId: string }
  | { readonly of: 'client'; readonly clientId: string; readonly issuedUpTo?: number }
  | {
      readonly of: 'subject';
      readonly subjectKey: string;
      /** [v3] The plain-hash key that tokens minted before version 3 name, swept with the keyed one. */
      readonly legacySubjectKey?: string;
      readonly issuedUpTo: number;
    };

/** The record of a finished sweep: the publisher turns it into `sweep.completed`. */
export interface SweepRecord {
  /** The id of the revocation event the sweep completes. */
  readonly revocationId: string;
  readonly clientId?: string;
  readonly grantId?: string;
  readonly subject?: string;
  readonly count: number;
  /** Epoch milliseconds. */
  readonly completedAt: number;
}
