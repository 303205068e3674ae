import type { Dependencies } from '#commons/dependencies.ts';
import { apigeeTokenDeleteHandler, tokenFromPath } from '#commons/http/admin-token-delete.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock'>;

/** DELETE /admin/oauth2/accesstokens/{access_token}: Apigee Edge's "delete access token". */
export function createHandler(deps: Deps) {
  return apigeeTokenDeleteHandler('admin-delete-access-token', 'access', tokenFromPath('access_token'), deps);
}
