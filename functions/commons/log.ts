import { Logger } from '@aws-lambda-powertools/logger';
import type { Revocation } from './domain/revocation.ts';
import { idPrefix } from './domain/secrets.ts';

/** The one logger. Nothing may pass it a raw token, a secret or an Authorization header. */
export const logger = new Logger({ serviceName: 'token-revocation' });

/** Who asked for a revocation: a client id or an IAM principal ARN. */
export interface Actor {
  readonly clientId?: string;
  readonly principal?: string;
}

/** The audit line every revocation writes, whatever route it came through. */
export function auditRevocation(route: string, actor: Actor, revocation: Revocation): void {
  logger.info('token revoked', {
    audit: {
      action: 'revoke',
      route,
      who: actor.principal ?? actor.clientId,
      tokenKind: revocation.kind,
      tokenIdPrefix: idPrefix(revocation.tokenId),
      tokenClientId: revocation.token.clientId,
      cascade: revocation.cascade,
      at: new Date().toISOString(),
    },
  });
}
