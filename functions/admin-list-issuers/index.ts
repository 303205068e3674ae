import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { issuerView, readPage } from '#commons/http/issuer-json.ts';
import { trustStore } from '#commons/trusted/runtime.ts';

/** GET /admin/issuers?limit=N&cursor=C: a page of the registered issuers, `nextCursor` when more follow. */
export const handler = httpHandler('admin-list-issuers', { errors: 'admin' }, async (request) => {
  const { limit, cursor } = readPage(request.query);
  const page = await trustStore.listIssuers(limit, cursor);
  return jsonResult(200, {
    issuers: page.issuers.map(issuerView),
    ...(page.cursor !== undefined && { nextCursor: page.cursor }),
  });
});
