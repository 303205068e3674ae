import middy from '@middy/core';
import { type AuthorizationLog, type AuthorizerEvent, authorize } from '#commons/authorizer/events.ts';
import { routeScopesFromEnv } from '#commons/authorizer/route-scopes.ts';
import { idPrefix } from '#commons/domain/secrets.ts';
import { logger, observe } from '#commons/observability.ts';
import { clock, store } from '#commons/runtime.ts';

// Read at load, as the rest of the configuration: a bad rule fails the cold start, not a request.
const scopes = routeScopesFromEnv(process.env);

function logAuthorization({ tokenId, ...entry }: AuthorizationLog): void {
  logger.info('authorizer decision', {
    ...entry,
    ...(tokenId !== undefined && { tokenIdPrefix: idPrefix(tokenId) }),
  });
}

/**
 * Lambda authorizer for other APIs (HTTP API simple responses, REST TOKEN and REQUEST): a bearer access
 * token is accepted only when it is active by the service's one rule and holds the route's scopes.
 */
export const handler = middy<AuthorizerEvent>()
  .use(observe('authorizer'))
  .handler((event) => authorize({ store, clock, scopes }, event, logAuthorization));
