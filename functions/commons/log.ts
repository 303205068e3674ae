import { Logger } from '@aws-lambda-powertools/logger';
import type { Revocation } from './domain/revocation.ts';
import { idPrefix } from './domain/secrets.ts';

/** The one logger. Nothing may pass it a raw token, a secret or an Authorization header. */
export const logger = new Logger({ serviceName: 'token-revocation' });

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

/** The audit line every revocation writes, whatever route it came through. */
export function audit(entry: AuditEntry): void {
  logger.info('token revoked', { audit: { action: 'revoke', ...entry, at: new Date().toISOString() } });
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
