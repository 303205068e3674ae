import type { AuthThrottle } from '../domain/auth-throttle.ts';
import { type AuthenticatedClient, authenticateClient } from '../domain/client-auth.ts';
import type { ClientLookup } from '../domain/client-cache.ts';
import { InvalidClient } from '../domain/errors.ts';
import type { Clock } from '../domain/model.ts';
import { logger } from '../log.ts';
import { loggableClientId } from '../redact.ts';
import { presentedCredentials } from './client-credentials.ts';
import type { Params } from './form.ts';
import type { HttpRequest } from './handler.ts';

/** What the OAuth routes authenticate clients with; one per function instance (built by its composition root, functions/wiring/table.ts). */
export interface ClientAuthentication {
  readonly clients: ClientLookup;
  readonly throttle: AuthThrottle;
  readonly clock: Clock;
}

export interface AuthenticateOptions {
  /** Refuse public clients (`none`), as introspection does; such a refusal counts as a failure too. */
  readonly confidentialOnly?: boolean;
}

/**
 * RFC 6749 2.3 client authentication at the edge of the token, revoke and introspect routes: reads the
 * one method the request used, refuses a (claimed client id, source IP) pair that has failed too often
 * (429, right credentials or not, before any read), authenticates, and counts and logs each failure with
 * the claimed id and the source IP (never the secret or the header).
 */
export async function authenticateCaller(
  auth: ClientAuthentication,
  request: HttpRequest,
  params: Params,
  options: AuthenticateOptions = {},
): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(request.headers.authorization, params);
  auth.throttle.check(presented.clientId, request.sourceIp);
  try {
    const authenticated = await authenticateClient(auth.clients, auth.clock, presented);
    if (options.confidentialOnly && authenticated.method === 'none') {
      throw new InvalidClient('introspection requires client authentication', 'none');
    }
    return authenticated;
  } catch (error) {
    if (error instanceof InvalidClient) {
      const failures = auth.throttle.recordFailure(presented.clientId, request.sourceIp);
      logger.warn('client authentication failed', {
        route: request.routeKey,
        // A claimed id is the caller's input, and may be a token pasted into the wrong field.
        clientId: loggableClientId(presented.clientId),
        sourceIp: request.sourceIp,
        method: presented.method,
        failures,
      });
    }
    throw error;
  }
}
