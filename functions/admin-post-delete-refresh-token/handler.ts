import type { Dependencies } from '#commons/dependencies.ts';
import { apigeeTokenDeleteHandler, tokenFromBody } from '#commons/http/admin-token-delete.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock'>;

/**
 * POST /admin/oauth2/refreshtokens/delete with `{"token"}`: DELETE
 * /admin/oauth2/refreshtokens/{refresh_token} with the token kept out of the URL.
 */
export function createHandler(deps: Deps) {
  return apigeeTokenDeleteHandler('admin-post-delete-refresh-token', 'refresh', tokenFromBody, deps);
}
