import type { Dependencies } from '#commons/dependencies.ts';
import { StoreUnavailable } from '#commons/domain/errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import type { JwkSet } from '#commons/ssf/keys.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'ssfKeys'>;

/**
 * GET /ssf/jwks: the JWK Set of the keys that sign the SETs (the transmitter's `jwks_uri`). Receivers may
 * cache it for an hour; a key added by a rotation is published a day before it signs (docs/ssf.md).
 */
export function createHandler({ http, ssfKeys }: Deps) {
  /** The public keys change only with a deployment: read once per instance, again only after a failure. */
  let keys: Promise<JwkSet> | undefined;
  return httpHandler('ssf-jwks', { errors: 'oauth', settings: http }, async () => {
    keys ??= ssfKeys();
    try {
      return { statusCode: 200, json: await keys, headers: { 'Cache-Control': 'public, max-age=3600' } };
    } catch (error) {
      keys = undefined;
      // KMS (or the key file) is a dependency like the table: its failure is a 503 with Retry-After.
      throw new StoreUnavailable(error);
    }
  });
}
