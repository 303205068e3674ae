/**
 * Clients, token records and grants made through the domain: the fixtures the store, stream and sweeper
 * tests and the benches share.
 */
import { type ClientRegistration, newClient } from '#commons/domain/clients.ts';
import type { Client, Clock, PresentedToken, Store, TokenKind, TokenRecord } from '#commons/domain/model.ts';
import { hashSecret, mintSecret } from '#commons/domain/secrets.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { issueTokens } from '#commons/domain/tokens.ts';
import { subjectKeyOf } from './subject-keys.ts';

/** A new client that may use both grants, stored; throws if the store refused it. */
export async function storedClient(
  store: Store,
  clock: Clock,
  name: string,
  registration: Partial<ClientRegistration> = {},
): Promise<Client> {
  const { client } = newClient(
    { name, grantTypes: ['client_credentials', 'refresh_token'], ...registration },
    clock(),
  );
  if (!(await store.createClient(client))) throw new Error('the store refused a new client');
  return client;
}

/** A bare token record of a client, without a grant, issued now for an hour (not stored). */
export function tokenRecord(
  client: Client,
  clock: Clock,
  kind: TokenKind,
  extra: Partial<TokenRecord> = {},
): TokenRecord {
  const now = clock();
  return {
    id: hashSecret(mintSecret()),
    kind,
    clientId: client.clientId,
    scope: 'read',
    issuedAt: now,
    expiresAt: Math.floor(now / 1000) + 3600,
    grantType: 'client_credentials',
    refreshCount: 0,
    lastModifiedAt: now,
    ...extra,
  };
}

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
    ...(subject !== undefined && { subject, subjectKey: subjectKeyOf(subject) }),
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
