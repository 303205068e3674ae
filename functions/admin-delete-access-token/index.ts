import { apigeeTokenDeleteHandler, tokenFromPath } from '#commons/http/admin-token-delete.ts';

/** DELETE /admin/oauth2/accesstokens/{access_token}: Apigee Edge's "delete access token". */
export const handler = apigeeTokenDeleteHandler(
  'admin-delete-access-token',
  'access',
  tokenFromPath('access_token'),
);
