import { parseJsonObject } from '#commons/domain/clients.ts';
import { issueTokens } from '#commons/domain/tokens.ts';
import { AdminError, OAuthError } from '#commons/errors.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { clock, store } from '#commons/runtime.ts';

function optionalString(
  input: Record<string, unknown>,
  field: string,
  maxLength: number,
): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > maxLength) {
    throw new AdminError(400, `"${field}" must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

/**
 * POST /admin/tokens: how an upstream authorization server that authenticated a user hands its tokens to
 * this service, and how public clients get tokens.
 */
export const handler = httpHandler('admin-mint-token', async (request) => {
  const input = parseJsonObject(request.body.toString('utf8'));
  const clientId = optionalString(input, 'clientId', 128);
  if (clientId === undefined) throw new AdminError(400, '"clientId" is required');
  const subject = optionalString(input, 'subject', 1024);
  const scope = optionalString(input, 'scope', 4096);
  if (input.refreshToken !== undefined && typeof input.refreshToken !== 'boolean') {
    throw new AdminError(400, '"refreshToken" must be a boolean');
  }
  request.log.clientId = clientId;
  const client = await store.getClient(clientId);
  if (!client) throw new AdminError(404, 'client not found');
  try {
    const issued = await issueTokens(store, clock, client, {
      scope,
      ...(subject !== undefined && { subject }),
      withRefreshToken: input.refreshToken === true,
      grantType: 'external',
    });
    if (!issued) throw new AdminError(404, 'client not found');
    request.log.tokenId = issued.accessTokenId;
    return jsonResult(201, issued.response);
  } catch (error) {
    if (error instanceof OAuthError && error.error === 'invalid_scope') {
      throw new AdminError(400, `"scope" ${error.description}`);
    }
    throw error;
  }
});
