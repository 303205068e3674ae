import { randomBytes } from 'node:crypto';
import type { Dependencies } from '#commons/dependencies.ts';
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

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'adminStore' | 'clock'>;

/**
 * How a create answered 503 stays unseen (contract: common rules on 503). DynamoDB may apply a write after
 * the SDK gave up on it (a frozen DynamoDB, then a thaw).
 *
 * - With an `Idempotency-Key`: the key's record and the client are one transaction, so a late one is
 *   visible to the caller's retry with the same key, which gets that client (200) instead of a second one.
 * - Without a key: the client is written pending (a random nonce, absent to every read: no GET, no
 *   authentication, no token minted for it; TTL removes it within `UNCONFIRMED_CREATE_SECONDS`), then
 *   confirmed by a second write conditional on that nonce, and only then answered 201. A first write that
 *   lands after its 503 is never confirmed, so it never becomes a client and soon disappears. Only a
 *   confirmation that times out and then lands late makes a client the caller was not told of: one whose
 *   id and secret nobody ever saw, so it can neither authenticate nor be named (a 128-bit id); it costs
 *   one item. Answering 201 instead would be worse: a confirmation that never lands would delete a client
 *   the caller was promised.
 */
const UNCONFIRMED_CREATE_SECONDS = 3600;

async function create(
  { store, clock }: { store: Deps['adminStore']; clock: Deps['clock'] },
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
  // Without a key nothing ties a retry to this request, so the create is two writes (see the note above).
  const now = clock();
  const created = newClient(registration, now);
  const nonce = randomBytes(16).toString('base64url');
  const pending = { nonce, expiresAt: Math.floor(now / 1000) + UNCONFIRMED_CREATE_SECONDS };
  // A 128-bit random id cannot collide in practice; the conditional put makes sure of it.
  if (!(await store.createClient(created.client, pending))) throw new Error('client id collision');
  if (!(await store.confirmClient(created.client.clientId, nonce))) throw new Error('client create lost');
  return { replayed: false, ...created };
}
/**
 * POST /admin/clients: registers a client; a confidential client's secret is shown here only. With an
 * Idempotency-Key, a retry within 24 hours gets 200 and the client the key created, as GET shows it.
 */
export function createHandler({ http, adminStore: store, clock }: Deps) {
  return httpHandler('admin-create-client', { errors: 'admin', settings: http }, async (request) => {
    const key = readIdempotencyKey(request.headers);
    const body = parseJsonObject(request.body.toString('utf8'));
    const outcome = await create({ store, clock }, readRegistration(body), body, key);
    request.log.clientId = outcome.client.clientId;
    if (outcome.replayed) return jsonResult(200, clientView(outcome.client));
    const { client, secret } = outcome;
    return jsonResult(201, { ...clientView(client), ...(secret !== undefined && { clientSecret: secret }) });
  });
}
