import type { RevocationEvent } from './domain/events.ts';
import type { TokenKind } from './domain/model.ts';
import { idPrefix } from './domain/secrets.ts';
import { countRevocation, logger, recordAudit } from './observability.ts';

// The logger lives with the metrics and the tracer now; re-exported so existing imports keep working.
export { logger };

/**
 * The audit fields (and the `Revocations` metric) of one revocation, made from its domain event: the same
 * event the publisher sends to EventBridge from the stream, with the same `id`, so the two join. They go
 * on the request's one line as its `audit` (a line of their own outside a request). They carry a token
 * id's prefix and a subject's key, never a token, a secret or the subject itself (which may be personal
 * data; the event has it, for the consumers that act on it).
 */
export function auditRevocation(event: RevocationEvent, tokenKind?: TokenKind): void {
  recordAudit({
    action: event.type,
    id: event.id,
    ...(event.route !== undefined && { route: event.route }),
    who: event.actor.id,
    actorType: event.actor.type,
    ...(tokenKind !== undefined && { tokenKind }),
    ...(event.tokenId !== undefined && { tokenIdPrefix: idPrefix(event.tokenId) }),
    ...(event.grantId !== undefined && { grantId: event.grantId }),
    ...(event.clientId !== undefined && { clientId: event.clientId }),
    ...(event.subjectKey !== undefined && { subjectKey: event.subjectKey }),
    ...(event.tokensRevokedBefore !== undefined && { tokensRevokedBefore: event.tokensRevokedBefore }),
    // [v3] A trusted issuer's revocations: the issuer, and prefixes of the token id or family it named.
    ...(event.issuer !== undefined && { issuer: event.issuer }),
    ...(event.jti !== undefined && { tokenIdPrefix: idPrefix(event.jti) }),
    ...(event.family !== undefined && { familyPrefix: idPrefix(event.family) }),
    // A cut-off's instant is its revocation's: written once (no `at` means at `tokensRevokedBefore`).
    ...(event.tokensRevokedBefore !== event.time && { at: new Date(event.time).toISOString() }),
  });
  countRevocation(event.type, event.route ?? event.actor.id);
}
