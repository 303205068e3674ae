import middy from '@middy/core';
import { type AuthorizationLog, type AuthorizerEvent, authorize } from '#commons/authorizer/decision.ts';
import type { Dependencies } from '#commons/dependencies.ts';
import type { KeysUnavailable } from '#commons/domain/errors.ts';
import { idPrefix } from '#commons/domain/secrets.ts';
import { countKeysUnavailable, logger, observe } from '#commons/observability.ts';

/** What the authorizer is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'store' | 'clock' | 'trusted' | 'routeScopes'>;

function logAuthorization({ tokenId, ...entry }: AuthorizationLog): void {
  logger.info('authorizer decision', {
    ...entry,
    ...(tokenId !== undefined && { tokenIdPrefix: idPrefix(tokenId) }),
  });
}

/** [v3] Denied because a trusted issuer's keys could not be had: a line that says so, and a metric. */
function keysUnavailable(error: KeysUnavailable): void {
  logger.warn('authorizer denied: trusted issuer keys unavailable', { issuerId: error.issuerId });
  countKeysUnavailable('authorizer');
}

/**
 * Lambda authorizer for other APIs (HTTP API simple responses, REST TOKEN and REQUEST): a bearer access
 * token is accepted only when it is active by the service's one rule and holds the route's scopes; [v3]
 * so is a trusted issuer's JWT, by the trusted tokens' rule, its issuer passed on as `iss`.
 */
export function createHandler({ store, clock, trusted, routeScopes: scopes }: Deps) {
  return middy<AuthorizerEvent>()
    .use(observe('authorizer'))
    .handler((event) =>
      authorize(
        { store, clock, scopes, trusted, onKeysUnavailable: keysUnavailable },
        event,
        logAuthorization,
      ),
    );
}
