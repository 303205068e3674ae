import { clientView, readClientListQuery } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { adminStore as store } from '#commons/runtime.ts';

/**
 * GET /admin/clients?limit=N&cursor=C: one page of the registered clients, without their secrets. It reads
 * the registry index and the page's client items, never a token.
 */
export const handler = httpHandler('admin-list-clients', { errors: 'admin' }, async (request) => {
  const { limit, cursor } = readClientListQuery(request.rawQueryString);
  const page = await store.listClients(limit, cursor);
  return jsonResult(200, {
    clients: page.clients.map(clientView),
    ...(page.cursor !== undefined && { nextCursor: page.cursor }),
  });
});
