import { apigeeTokenDeleteHandler, tokenFromBody } from '#commons/http/admin-token-delete.ts';

/**
 * POST /admin/oauth2/refreshtokens/delete with `{"token"}`: DELETE
 * /admin/oauth2/refreshtokens/{refresh_token} with the token kept out of the URL.
 */
export const handler = apigeeTokenDeleteHandler('admin-post-delete-refresh-token', 'refresh', tokenFromBody);
