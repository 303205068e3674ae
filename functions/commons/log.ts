import type { Revocation } from './domain/revocation.ts';
import { idPrefix } from './domain/secrets.ts';
import type { ReuseDetected } from './domain/tokens.ts';
import { countRevocation, logger } from './observability.ts';

// The logger lives with the metrics and the tracer now; re-exported so existing imports keep working.
export { logger };

/** What an audit line records of one revocation. */
export interface AuditEntry {
  /** `revoke`, or `refresh_token.reuse_detected` for a grant revoked because a consumed token came back. */
  readonly action?: 'revoke' | 'refresh_token.reuse_detected';
  /** Route key the revocation came through. */
  readonly route: string;
  /** A client id, or an IAM principal ARN for admin calls. */
  readonly who: string;
  /** `all`: every token of a client; `subject`: every token of a subject. */
  readonly tokenKind: 'access' | 'refresh' | 'all' | 'subject';
  /** Prefix of the token's hash (never the token). */
  readonly tokenIdPrefix?: string;
  /** The grant revoked with a refresh token. */
  readonly grantId?: string;
  /** Whose token(s) they were (absent for a subject: tokens of every client). */
  readonly clientId?: string;
  /** A subject's cut-off: the subject's key (a hash: the subject itself may be personal data). */
  readonly subjectKey?: string;
  /** A cut-off (epoch ms): every token issued at or before it was revoked. */
  readonly tokensRevokedBefore?: number;
  /** Tokens removed along with it (or, for `all` and `subject`, in total). */
  readonly cascade: number;
}

/** The audit line (and the `Revocations` metric) every revocation writes, whatever route it came through. */
export function audit({ action = 'revoke', ...entry }: AuditEntry): void {
  logger.info('token revoked', { audit: { action, ...entry, at: new Date().toISOString() } });
  countRevocation(action === 'revoke' ? entry.tokenKind : 'reuse_detected', entry.route);
}

/** Audit line of revoking every token of a client. */
export function auditClientTokens(route: string, who: string, clientId: string, count: number): void {
  audit({ route, who, tokenKind: 'all', clientId, cascade: count });
}

/** Audit line of a single-token revocation (a refresh token's names its grant). */
export function auditRevocation(route: string, who: string, revocation: Revocation): void {
  audit({
    route,
    who,
    tokenKind: revocation.kind,
    tokenIdPrefix: idPrefix(revocation.tokenId),
    ...(revocation.grantId !== undefined && { grantId: revocation.grantId }),
    clientId: revocation.token.clientId,
    cascade: revocation.cascade,
  });
}

/** Audit line of a grant revoked because a consumed refresh token was presented after its grace. */
export function auditReuse(route: string, reuse: ReuseDetected): void {
  audit({
    action: 'refresh_token.reuse_detected',
    route,
    who: reuse.clientId,
    tokenKind: 'refresh',
    tokenIdPrefix: idPrefix(reuse.tokenId),
    grantId: reuse.grantId,
    clientId: reuse.clientId,
    cascade: reuse.cascade,
  });
}

/** Audit line of a subject's cut-off. */
export function auditSubjectTokens(
  route: string,
  who: string,
  cutoff: { subjectKey: string; tokensRevokedBefore: number; cascade: number },
): void {
  audit({ route, who, tokenKind: 'subject', ...cutoff });
}
