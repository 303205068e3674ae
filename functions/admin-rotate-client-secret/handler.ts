import type { Dependencies } from '#commons/dependencies.ts';
import { rotateClientSecret } from '#commons/domain/secret-rotation.ts';
import { readSecretRotation } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { logger } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'adminStore' | 'clock'>;

/**
 * POST /admin/clients/{clientId}/secret: a new secret for a confidential client, shown here only; the old
 * one keeps working for `previousSecretGraceSeconds` (default 0), then never again.
 */
export function createHandler({ http, adminStore: store, clock }: Deps) {
  return httpHandler('admin-rotate-client-secret', { errors: 'admin', settings: http }, async (request) => {
    const clientId = request.pathParameters.clientId ?? '';
    request.log.clientId = clientId;
    const { previousSecretGraceSeconds } = readSecretRotation(request.body.toString('utf8'));
    // Two writes, so a rotation answered 503 never locks the caller out later: see secret-rotation.ts.
    const clientSecret = await rotateClientSecret(
      store,
      clock,
      clientId,
      previousSecretGraceSeconds,
      (error) =>
        logger.warn(
          'secret rotation not confirmed: the previous secret stays accepted until the next rotation',
          {
            clientId,
            cause: error.cause instanceof Error ? error.cause.name : 'unknown',
          },
        ),
    );
    return jsonResult(200, { clientId, clientSecret });
  });
}
