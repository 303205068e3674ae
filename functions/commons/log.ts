import type { Revocation } from './domain/revocation.ts';
import { idPrefix } from './domain/secrets.ts';
import { countRevocation, logger } from './observability.ts';

// The logger lives with the metrics and the tracer now; re-exported so existing imports keep working.
export { logger };

/** What an audit line records of one revocation. */
export interface AuditEntry {
  /** Route key the revocation came through. */
  readonly route: string;
  /** A client id, or an IAM principal ARN for admin calls. */
  readonly who: string;
  /** `all`: every token of a client. */
  readonly tokenKind: 'access' | 'refresh' | 'all';
  /** Prefix of the token's hash (never the token). */
  readonly tokenIdPrefix?: string;
  /** Whose token(s) they were. */
  readonly clientId: string;
  /** Tokens removed along with it (or, for `all`, in total). */
  readonly cascade: number;
}

/** The audit line (and the `Revocations` metric) every revocation writes, whatever route it came through. */
export function audit(entry: AuditEntry): void {
  logger.info('token revoked', { audit: { action: 'revoke', ...entry, at: new Date().toISOString() } });
  countRevocation(entry.tokenKind, entry.route);
}

/** Audit line of revoking every token of a client. */
export function auditClientTokens(route: string, who: string, clientId: string, count: number): void {
  audit({ route, who, tokenKind: 'all', clientId, cascade: count });
}

/** Audit line of a single-token revocation. */
export function auditRevocation(route: string, who: string, revocation: Revocation): void {
  audit({
    route,
    who,
    tokenKind: revocation.kind,
    tokenIdPrefix: idPrefix(revocation.tokenId),
    clientId: revocation.token.clientId,
    cascade: revocation.cascade,
  });
}
