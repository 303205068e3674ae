import { apigeeTokenDeleteHandler, tokenFromBody } from '#commons/http/admin-token-delete.ts';

/**
 * POST /admin/oauth2/accesstokens/delete with `{"token"}`: DELETE /admin/oauth2/accesstokens/{access_token}
 * with the token kept out of the URL.
 */
export const handler = apigeeTokenDeleteHandler('admin-post-delete-access-token', 'access', tokenFromBody);
