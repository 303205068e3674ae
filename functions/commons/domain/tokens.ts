import { isActive, readState } from './activity.ts';
import { InvalidGrant, InvalidScope, UnauthorizedClient } from './errors.ts';
import { REUSE_DETECTION, type RevocationEvent } from './events.ts';
import type {
  Client,
  Clock,
  GrantRecord,
  GrantType,
  PresentedToken,
  RequestStore,
  TokenKind,
  TokenOrigin,
  TokenRecord,
} from './model.ts';
import { revokeGrantOf } from './revocation.ts';
import { hashSecret } from './secrets.ts';
import { formatToken, legacySubjectKeyOf, newGrantId } from './token-format.ts';

/** RFC 6749 section 3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Whether a string is one RFC 6749 3.3 scope token. */
export const isScopeToken = (scope: string): boolean => SCOPE_TOKEN.test(scope);

/** Splits a scope parameter into distinct scope tokens; throws invalid_scope on bad syntax. */
export function parseScope(scope: string): string[] {
  const tokens = scope.split(' ').filter((s) => s !== '');
  if (tokens.length === 0 || !tokens.every((s) => SCOPE_TOKEN.test(s))) {
    throw new InvalidScope('scope is malformed');
  }
  return [...new Set(tokens)];
}

/** The requested scope if it is within `allowed`, else the whole of `allowed` when none was requested. */
export function grantScope(requested: string | undefined, allowed: readonly string[]): string {
  if (requested === undefined) return allowed.join(' ');
  const scopes = parseScope(requested);
  const outside = scopes.filter((s) => !allowed.includes(s));
  if (outside.length > 0) throw new InvalidScope(`scope not allowed: ${outside.join(' ')}`);
  return scopes.join(' ');
}

/** RFC 6749 5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** The longest an access token may live (contract: at most 1 day), so a grant's item outlives its tokens. */
export const MAX_ACCESS_TOKEN_TTL = 24 * 3600;

interface Minted {
  raw: string;
  record: TokenRecord;
}

interface MintOptions {
  readonly grantId?: string;
  /** The subject and its key: the deployment's keyed hash, or for a grant's later tokens the grant's key. */
  readonly subject?: { readonly subject: string; readonly subjectKey: string };
  /** Epoch seconds; default: now + the client's lifetime for the kind. */
  readonly expiresAt?: number;
}

function mint(
  kind: TokenKind,
  client: Client,
  scope: string,
  now: number,
  grantType: TokenOrigin,
  options: MintOptions = {},
): Minted {
  const subjectKey = options.subject?.subjectKey;
  const raw = formatToken({
    kind,
    clientId: client.clientId,
    ...(options.grantId !== undefined && { grantId: options.grantId }),
    ...(subjectKey !== undefined && { subjectKey }),
  });
  const ttl = kind === 'access' ? client.accessTokenTtl : client.refreshTokenTtl;
  const record: TokenRecord = {
    id: hashSecret(raw),
    kind,
    clientId: client.clientId,
    ...(options.grantId !== undefined && { grantId: options.grantId }),
    scope,
    ...(options.subject !== undefined && { subject: options.subject.subject, subjectKey }),
    issuedAt: now,
    expiresAt: options.expiresAt ?? Math.floor(now / 1000) + ttl,
    grantType,
    refreshCount: 0,
    lastModifiedAt: now,
  };
  return { raw, record };
}

function response(client: Client, access: Minted, refresh?: Minted): TokenResponse {
  const body: TokenResponse = {
    access_token: access.raw,
    token_type: 'Bearer',
    expires_in: client.accessTokenTtl,
    scope: access.record.scope,
  };
  if (refresh) body.refresh_token = refresh.raw;
  return body;
}

export interface IssueRequest {
  scope: string | undefined;
  subject?: string;
  /** With `subject`: its key under this deployment's secret (`subjectKeyer`). */
  subjectKey?: string;
  withRefreshToken: boolean;
  grantType: TokenOrigin;
}

export interface Issued {
  readonly response: TokenResponse;
  readonly accessTokenId: string;
  readonly grantId?: string;
}

/**
 * Issues an access token and, when asked and the client may use the refresh grant, a refresh token that
 * starts a new grant. Undefined when the client vanished before a grant could be written.
 *
 * Safe against a write applied after its 503 (contract: common rules on 503), for client_credentials and
 * the admin mint alike, by what the write is rather than by a second write: it only adds items under
 * fresh random keys (conditional on the key being free, so it can displace nothing), and the token it
 * adds was never shown to anyone, who alone could present it (only its hash is stored). Every SDK call's
 * deadline stops the SDK from sending it again. A late token is therefore dead weight until its TTL:
 * nothing it changes is visible to anyone. Its issue time is the request's, so a cut-off made meanwhile
 * covers it too.
 */
export async function issueTokens(
  store: RequestStore,
  clock: Clock,
  client: Client,
  req: IssueRequest,
): Promise<Issued | undefined> {
  const scope = grantScope(req.scope, client.scopes);
  const now = clock();
  if (req.subject !== undefined && req.subjectKey === undefined) throw new Error('a subject needs its key');
  const subject =
    req.subject === undefined ? {} : { subject: { subject: req.subject, subjectKey: req.subjectKey ?? '' } };
  if (!(req.withRefreshToken && client.grantTypes.includes('refresh_token'))) {
    const access = mint('access', client, scope, now, req.grantType, subject);
    if (!(await store.putAccessToken(access.record))) return undefined;
    return { response: response(client, access), accessTokenId: access.record.id };
  }
  const grantId = newGrantId();
  const refresh = mint('refresh', client, scope, now, req.grantType, { ...subject, grantId });
  const access = mint('access', client, scope, now, req.grantType, { ...subject, grantId });
  // The refresh token lives in the grant item: no token item of its own, so a grant start is two writes.
  const grant: GrantRecord = {
    grantId,
    clientId: client.clientId,
    ...(refresh.record.subject !== undefined && {
      subject: refresh.record.subject,
      subjectKey: refresh.record.subjectKey,
    }),
    scope,
    issuedAt: now,
    currentRefreshTokenId: refresh.record.id,
    currentRefreshIssuedAt: now,
    grantType: req.grantType,
    refreshCount: 0,
    rotations: 0,
    lastModifiedAt: now,
    refreshExpiresAt: refresh.record.expiresAt,
    // Kept until the last access token it could have issued has expired.
    expiresAt: refresh.record.expiresAt + MAX_ACCESS_TOKEN_TTL,
  };
  if (!(await store.putGrant(grant, access.record))) return undefined;
  return { response: response(client, access, refresh), accessTokenId: access.record.id, grantId };
}

/**
 * RFC 6749 4.4: client_credentials, for confidential clients allowed to use it. No refresh token
 * (RFC 6749 4.4.3): the client can always ask again.
 */
export async function clientCredentialsGrant(
  store: RequestStore,
  clock: Clock,
  client: Client,
  scope?: string,
): Promise<Issued> {
  requireGrant(client, 'client_credentials');
  if (client.public) throw new UnauthorizedClient('public clients may not use client_credentials');
  const issued = await issueTokens(store, clock, client, {
    scope,
    withRefreshToken: false,
    grantType: 'client_credentials',
  });
  // A fresh 256-bit id cannot collide; the conditional put makes sure of it.
  if (!issued) throw new Error('token id collision');
  return issued;
}

const INVALID_GRANT = 'refresh token is invalid, expired or revoked';

/**
 * RFC 6749 6 with RFC 9700 4.14.2: a new access token from an active refresh token of the same client,
 * optionally narrower; with rotation also a new refresh token, the presented one consumed by the same
 * conditional write that makes the new one current (so of two racing refreshes exactly one succeeds). A
 * consumed refresh token presented again within the client's grace window is a retry (invalid_grant,
 * nothing else); after it, reuse: the whole grant is revoked before the answer (invalid_grant) and
 * `onReuse` hears of it.
 *
 * No transaction: one consistent read, then the new access token and one single-item write to the grant.
 * - The new tokens' issue time is fixed before the read. A client or subject cut-off written after the
 *   read therefore has an instant at or after it whenever the cut-off was decided after the refresh began,
 *   and the activity rule rejects the token; a cut-off decided just before but written after the read is
 *   caught because cut-offs compare the grant's start (activity.ts), which precedes both. So no
 *   condition on the client or subject item is needed: every use of the token reads them.
 * - A grant revoked at any moment, before or after the access token is written, makes it inactive: every
 *   activity check reads the grant's mark with the token, so a token written after the revocation is born
 *   inactive. The grant write is still conditional on the grant being live, so a refresh that lost that
 *   race answers invalid_grant rather than hand out a dead token.
 * - The access token is written first: a lost rotation race, or a 503 on the grant write, leaves an access
 *   token nobody holds (harmless: its value was never sent) and the presented refresh token still current,
 *   so the client's retry works; the other order could consume the refresh token behind a 503.
 */
export async function refreshTokenGrant(
  store: RequestStore,
  clock: Clock,
  client: Client,
  presented: PresentedToken,
  scope: string | undefined,
  reuse: { readonly route?: string; readonly onReuse: (event: RevocationEvent) => void },
): Promise<Issued> {
  requireGrant(client, 'refresh_token');
  // Fixed before the read: see above.
  const now = clock();
  const state = await readState(store, presented);
  const parent = state?.token;
  if (!state || !parent || parent.kind !== 'refresh' || parent.clientId !== client.clientId) {
    throw new InvalidGrant(INVALID_GRANT);
  }
  if (
    parent.consumedAt !== undefined &&
    parent.grantId !== undefined &&
    state.grant?.revokedAt === undefined
  ) {
    // The reuse decision takes the time after the read (another refresh may have consumed it meanwhile).
    const at = clock();
    if (at - parent.consumedAt > client.refreshTokenReuseGraceSeconds * 1000) {
      const event = await revokeGrantOf(store, parent.grantId, {
        actor: REUSE_DETECTION,
        ...(reuse.route !== undefined && { route: reuse.route }),
        at,
        reason: 'reuse_detected',
        tokenId: parent.id,
      });
      if (event) reuse.onReuse(event);
    }
    throw new InvalidGrant(INVALID_GRANT);
  }
  if (!isActive(state, now) || !state.grant) throw new InvalidGrant(INVALID_GRANT);
  const granted = grantScope(scope, parent.scope.split(' '));
  // A grant's tokens keep the key its first tokens were minted with, so the subject's cut-off item they
  // name stays the grant's (a grant minted before version 3 keeps its plain-hash key until it ends).
  const options = {
    grantId: state.grant.grantId,
    ...(parent.subject !== undefined && {
      subject: {
        subject: parent.subject,
        subjectKey: parent.subjectKey ?? legacySubjectKeyOf(parent.subject),
      },
    }),
  };
  const access = mint('access', client, granted, now, 'refresh_token', options);
  // A rotated refresh token keeps the grant's scope and its absolute lifetime.
  const newRefresh = client.refreshTokenRotation
    ? mint('refresh', client, parent.scope, now, 'refresh_token', { ...options, expiresAt: parent.expiresAt })
    : undefined;
  const written = await store.refresh({
    parent,
    grant: state.grant,
    access: access.record,
    ...(newRefresh && { newRefresh: newRefresh.record }),
    now,
  });
  if (!written) throw new InvalidGrant(INVALID_GRANT);
  return {
    response: response(client, access, newRefresh),
    accessTokenId: access.record.id,
    grantId: state.grant.grantId,
  };
}

function requireGrant(client: Client, grant: GrantType) {
  if (!client.grantTypes.includes(grant)) {
    throw new UnauthorizedClient(`client may not use the ${grant} grant`);
  }
}
