import { type ClientRegistration, newClient } from '#commons/domain/clients.ts';
import {
  createClientIdempotently,
  type IdempotentCreation,
  requestFingerprint,
} from '#commons/domain/idempotency.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { clientView, type JsonObject, parseJsonObject, readRegistration } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { readIdempotencyKey } from '#commons/http/idempotency.ts';
import { clock, store } from '#commons/runtime.ts';

async function create(
  registration: ClientRegistration,
  body: JsonObject,
  key: string | undefined,
): Promise<IdempotentCreation> {
  if (key !== undefined) {
    return createClientIdempotently(store, clock, registration, {
      keyHash: hashSecret(key),
      requestHash: requestFingerprint(body),
    });
  }
  const created = newClient(registration, clock());
  // A 128-bit random id cannot collide in practice; the conditional put makes sure of it.
  if (!(await store.createClient(created.client))) throw new Error('client id collision');
  return { replayed: false, ...created };
}

/**
 * POST /admin/clients: registers a client; a confidential client's secret is shown here only. With an
 * Idempotency-Key, a retry within 24 hours gets 200 and the client the key created, as GET shows it.
 */
export const handler = httpHandler('admin-create-client', { errors: 'admin' }, async (request) => {
  const key = readIdempotencyKey(request.headers);
  const body = parseJsonObject(request.body.toString('utf8'));
  const outcome = await create(readRegistration(body), body, key);
  request.log.clientId = outcome.client.clientId;
  if (outcome.replayed) return jsonResult(200, clientView(outcome.client));
  const { client, secret } = outcome;
  return jsonResult(201, { ...clientView(client), ...(secret !== undefined && { clientSecret: secret }) });
});
