import { newClient } from '#commons/domain/clients.ts';
import { clientView, parseJsonObject, readRegistration } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { clock, store } from '#commons/runtime.ts';

/** POST /admin/clients: registers a client; a confidential client's secret is shown here only. */
export const handler = httpHandler('admin-create-client', { errors: 'admin' }, async (request) => {
  const registration = readRegistration(parseJsonObject(request.body.toString('utf8')));
  const { client, secret } = newClient(registration, clock());
  // A 128-bit random id cannot collide in practice; the conditional put makes sure of it.
  if (!(await store.createClient(client))) throw new Error('client id collision');
  request.log.clientId = client.clientId;
  return jsonResult(201, { ...clientView(client), ...(secret !== undefined && { clientSecret: secret }) });
});
