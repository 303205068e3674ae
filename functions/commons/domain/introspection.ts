import { findActiveToken } from './activity.ts';
import type { Clock, PresentedToken, RequestStore } from './model.ts';

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      token_type: 'Bearer' | 'refresh_token';
      exp: number;
      iat: number;
      sub?: string;
    };

/** RFC 7662 2.2: everything about an active token, nothing at all about any other. */
export async function introspect(
  store: Pick<RequestStore, 'readTokenState'>,
  clock: Clock,
  presented: PresentedToken,
): Promise<IntrospectionResponse> {
  const token = await findActiveToken(store, clock, presented);
  if (!token) return { active: false };
  return {
    active: true,
    scope: token.scope,
    client_id: token.clientId,
    token_type: token.kind === 'access' ? 'Bearer' : 'refresh_token',
    exp: token.expiresAt,
    iat: Math.floor(token.issuedAt / 1000),
    ...(token.subject !== undefined && { sub: token.subject }),
  };
}
