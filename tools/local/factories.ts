/**
 * Every function's handler factory (`functions/<name>/handler.ts`), by manifest name: what the local
 * server calls with its one set of dependencies, in place of the functions' composition roots (their
 * `index.ts`, which read a Lambda environment). Listed statically, so the compiler checks that the local
 * dependencies give each function what it asks for; test/unit/local-factories.test.ts checks that the
 * list and the manifest name the same functions.
 */
import type { Dependencies } from '#commons/dependencies.ts';
import { createHandler as adminCreateClient } from '#functions/admin-create-client/handler.ts';
import { createHandler as adminCreateIssuer } from '#functions/admin-create-issuer/handler.ts';
import { createHandler as adminDeleteAccessToken } from '#functions/admin-delete-access-token/handler.ts';
import { createHandler as adminDeleteClient } from '#functions/admin-delete-client/handler.ts';
import { createHandler as adminDeleteIssuer } from '#functions/admin-delete-issuer/handler.ts';
import { createHandler as adminDeleteRefreshToken } from '#functions/admin-delete-refresh-token/handler.ts';
import { createHandler as adminGetClient } from '#functions/admin-get-client/handler.ts';
import { createHandler as adminGetIssuer } from '#functions/admin-get-issuer/handler.ts';
import { createHandler as adminGlobalTokenRevocation } from '#functions/admin-global-token-revocation/handler.ts';
import { createHandler as adminListClients } from '#functions/admin-list-clients/handler.ts';
import { createHandler as adminListIssuers } from '#functions/admin-list-issuers/handler.ts';
import { createHandler as adminListSsfDeadLetters } from '#functions/admin-list-ssf-dead-letters/handler.ts';
import { createHandler as adminMintToken } from '#functions/admin-mint-token/handler.ts';
import { createHandler as adminPostDeleteAccessToken } from '#functions/admin-post-delete-access-token/handler.ts';
import { createHandler as adminPostDeleteRefreshToken } from '#functions/admin-post-delete-refresh-token/handler.ts';
import { createHandler as adminRedeliverSsfDeadLetters } from '#functions/admin-redeliver-ssf-dead-letters/handler.ts';
import { createHandler as adminRevokeClientTokens } from '#functions/admin-revoke-client-tokens/handler.ts';
import { createHandler as adminRevokeIssuerClientTokens } from '#functions/admin-revoke-issuer-client-tokens/handler.ts';
import { createHandler as adminRevokeIssuerSubjectTokens } from '#functions/admin-revoke-issuer-subject-tokens/handler.ts';
import { createHandler as adminRevokeIssuerToken } from '#functions/admin-revoke-issuer-token/handler.ts';
import { createHandler as adminRevokeIssuerTokens } from '#functions/admin-revoke-issuer-tokens/handler.ts';
import { createHandler as adminRevokeSubjectTokens } from '#functions/admin-revoke-subject-tokens/handler.ts';
import { createHandler as adminRotateClientSecret } from '#functions/admin-rotate-client-secret/handler.ts';
import { createHandler as authorizer } from '#functions/authorizer/handler.ts';
import { createHandler as introspect } from '#functions/introspect/handler.ts';
import { createHandler as invalidate } from '#functions/invalidate/handler.ts';
import { createHandler as metadata } from '#functions/metadata/handler.ts';
import { createHandler as publisher } from '#functions/publisher/handler.ts';
import { createHandler as registerIssuers } from '#functions/register-issuers/handler.ts';
import { createHandler as revoke } from '#functions/revoke/handler.ts';
import { createHandler as serviceIndex } from '#functions/service-index/handler.ts';
import { createHandler as ssfAddSubject } from '#functions/ssf-add-subject/handler.ts';
import { createHandler as ssfConfiguration } from '#functions/ssf-configuration/handler.ts';
import { createHandler as ssfCreateStream } from '#functions/ssf-create-stream/handler.ts';
import { createHandler as ssfDeleteStream } from '#functions/ssf-delete-stream/handler.ts';
import { createHandler as ssfDeliverer } from '#functions/ssf-deliverer/handler.ts';
import { createHandler as ssfGetStatus } from '#functions/ssf-get-status/handler.ts';
import { createHandler as ssfGetStream } from '#functions/ssf-get-stream/handler.ts';
import { createHandler as ssfJwks } from '#functions/ssf-jwks/handler.ts';
import { createHandler as ssfPoll } from '#functions/ssf-poll/handler.ts';
import { createHandler as ssfReceiver } from '#functions/ssf-receiver/handler.ts';
import { createHandler as ssfRemoveSubject } from '#functions/ssf-remove-subject/handler.ts';
import { createHandler as ssfReplaceStream } from '#functions/ssf-replace-stream/handler.ts';
import { createHandler as ssfUpdateStatus } from '#functions/ssf-update-status/handler.ts';
import { createHandler as ssfUpdateStream } from '#functions/ssf-update-stream/handler.ts';
import { createHandler as ssfVerify } from '#functions/ssf-verify/handler.ts';
import { createHandler as sweeper } from '#functions/sweeper/handler.ts';
import { createHandler as token } from '#functions/token/handler.ts';

/** A function's factory as the local server calls it: its handler from the one set of dependencies. */
export type LocalFactory = (deps: Dependencies) => unknown;

export const FACTORIES = {
  'admin-create-client': adminCreateClient,
  'admin-create-issuer': adminCreateIssuer,
  'admin-delete-access-token': adminDeleteAccessToken,
  'admin-delete-client': adminDeleteClient,
  'admin-delete-issuer': adminDeleteIssuer,
  'admin-delete-refresh-token': adminDeleteRefreshToken,
  'admin-get-client': adminGetClient,
  'admin-get-issuer': adminGetIssuer,
  'admin-global-token-revocation': adminGlobalTokenRevocation,
  'admin-list-clients': adminListClients,
  'admin-list-issuers': adminListIssuers,
  'admin-list-ssf-dead-letters': adminListSsfDeadLetters,
  'admin-mint-token': adminMintToken,
  'admin-post-delete-access-token': adminPostDeleteAccessToken,
  'admin-post-delete-refresh-token': adminPostDeleteRefreshToken,
  'admin-redeliver-ssf-dead-letters': adminRedeliverSsfDeadLetters,
  'admin-revoke-client-tokens': adminRevokeClientTokens,
  'admin-revoke-issuer-client-tokens': adminRevokeIssuerClientTokens,
  'admin-revoke-issuer-subject-tokens': adminRevokeIssuerSubjectTokens,
  'admin-revoke-issuer-token': adminRevokeIssuerToken,
  'admin-revoke-issuer-tokens': adminRevokeIssuerTokens,
  'admin-revoke-subject-tokens': adminRevokeSubjectTokens,
  'admin-rotate-client-secret': adminRotateClientSecret,
  authorizer: authorizer,
  introspect: introspect,
  invalidate: invalidate,
  metadata: metadata,
  publisher: publisher,
  'register-issuers': registerIssuers,
  revoke: revoke,
  'service-index': serviceIndex,
  'ssf-add-subject': ssfAddSubject,
  'ssf-configuration': ssfConfiguration,
  'ssf-create-stream': ssfCreateStream,
  'ssf-delete-stream': ssfDeleteStream,
  'ssf-deliverer': ssfDeliverer,
  'ssf-get-status': ssfGetStatus,
  'ssf-get-stream': ssfGetStream,
  'ssf-jwks': ssfJwks,
  'ssf-poll': ssfPoll,
  'ssf-receiver': ssfReceiver,
  'ssf-remove-subject': ssfRemoveSubject,
  'ssf-replace-stream': ssfReplaceStream,
  'ssf-update-status': ssfUpdateStatus,
  'ssf-update-stream': ssfUpdateStream,
  'ssf-verify': ssfVerify,
  sweeper: sweeper,
  token: token,
} as const satisfies Record<string, LocalFactory>;

/** The handler of the manifest function `name`, built from `deps`; throws for a name without a factory. */
export function buildHandler<T>(name: string, deps: Dependencies): T {
  const factory = (FACTORIES as Record<string, LocalFactory>)[name];
  if (!factory) throw new Error(`function "${name}" has no handler factory (functions/${name}/handler.ts)`);
  return factory(deps) as T;
}
