import type { Dependencies } from '#commons/dependencies.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { issuerView, readPage } from '#commons/http/issuer-json.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'trustStore'>;

/** GET /admin/issuers?limit=N&cursor=C: a page of the registered issuers, `nextCursor` when more follow. */
export function createHandler({ http, trustStore }: Deps) {
  return httpHandler('admin-list-issuers', { errors: 'admin', settings: http }, async (request) => {
    const { limit, cursor } = readPage(request.query);
    const page = await trustStore.listIssuers(limit, cursor);
    return jsonResult(200, {
      issuers: page.issuers.map(issuerView),
      ...(page.cursor !== undefined && { nextCursor: page.cursor }),
    });
  });
}
