import type { Dependencies } from '#commons/dependencies.ts';
import { clientView, readClientListQuery } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'adminStore'>;

/**
 * GET /admin/clients?limit=N&cursor=C: one page of the registered clients, without their secrets. It reads
 * the registry index and the page's client items, never a token.
 */
export function createHandler({ http, adminStore: store }: Deps) {
  return httpHandler('admin-list-clients', { errors: 'admin', settings: http }, async (request) => {
    const { limit, cursor } = readClientListQuery(request.rawQueryString);
    const page = await store.listClients(limit, cursor);
    return jsonResult(200, {
      clients: page.clients.map(clientView),
      ...(page.cursor !== undefined && { nextCursor: page.cursor }),
    });
  });
}
