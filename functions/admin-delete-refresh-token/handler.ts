import type { Dependencies } from '#commons/dependencies.ts';
import { apigeeTokenDeleteHandler, tokenFromPath } from '#commons/http/admin-token-delete.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock'>;

/** DELETE /admin/oauth2/refreshtokens/{refresh_token}: the refresh token and its access tokens. */
export function createHandler(deps: Deps) {
  return apigeeTokenDeleteHandler(
    'admin-delete-refresh-token',
    'refresh',
    tokenFromPath('refresh_token'),
    deps,
  );
}
