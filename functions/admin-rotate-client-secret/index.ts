import { rotateClientSecret } from '#commons/domain/secret-rotation.ts';
import { readSecretRotation } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { clock, store } from '#commons/runtime.ts';

/**
 * POST /admin/clients/{clientId}/secret: a new secret for a confidential client, shown here only; the old
 * one keeps working for `previousSecretGraceSeconds` (default 0), then never again.
 */
export const handler = httpHandler('admin-rotate-client-secret', { errors: 'admin' }, async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  const { previousSecretGraceSeconds } = readSecretRotation(request.body.toString('utf8'));
  const clientSecret = await rotateClientSecret(store, clock, clientId, previousSecretGraceSeconds);
  return jsonResult(200, { clientId, clientSecret });
});
