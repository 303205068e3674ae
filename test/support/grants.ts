/**
 * A grant made through the domain, as the admin mint route makes one: the one fixture the store, stream
 * and sweeper tests and the benches share.
 */
import type { Client, Clock, PresentedToken, Store } from '#commons/domain/model.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { issueTokens } from '#commons/domain/tokens.ts';

export interface IssuedGrant {
  readonly grantId: string;
  /** The raw tokens: returned once, as the service does; callers record them as secrets where asked. */
  readonly accessRaw: string;
  readonly refreshRaw: string;
  readonly access: PresentedToken;
  readonly refresh: PresentedToken;
}

/** A new grant of `client` (an access and a refresh token), optionally with a subject. */
export async function issueGrant(
  store: Store,
  clock: Clock,
  client: Client,
  subject?: string,
): Promise<IssuedGrant> {
  const issued = await issueTokens(store, clock, client, {
    scope: undefined,
    withRefreshToken: true,
    grantType: 'external',
    ...(subject !== undefined && { subject }),
  });
  if (!issued?.response.refresh_token || !issued.grantId) throw new Error('no grant');
  return {
    grantId: issued.grantId,
    accessRaw: issued.response.access_token,
    refreshRaw: issued.response.refresh_token,
    access: presentToken(issued.response.access_token),
    refresh: presentToken(issued.response.refresh_token),
  };
}
