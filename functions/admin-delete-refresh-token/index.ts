import { apigeeTokenDeleteHandler, tokenFromPath } from '#commons/http/admin-token-delete.ts';

/** DELETE /admin/oauth2/refreshtokens/{refresh_token}: the refresh token and its access tokens. */
export const handler = apigeeTokenDeleteHandler(
  'admin-delete-refresh-token',
  'refresh',
  tokenFromPath('refresh_token'),
);
