import type { Dependencies } from '#commons/dependencies.ts';
import { requestFingerprint } from '#commons/domain/idempotency.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { registerIssuer } from '#commons/domain/trusted-admin.ts';
import { parseJsonObject } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { readIdempotencyKey } from '#commons/http/idempotency.ts';
import { issuerView, readIssuerRegistration } from '#commons/http/issuer-json.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'trustStore' | 'runsLocally'>;

/**
 * POST /admin/issuers: registers a trusted issuer (201); the same issuer again is 409. With an
 * Idempotency-Key, a retry within 24 hours gets 200 and the issuer the key registered. Registration
 * fetches nothing: the issuer's keys are fetched on first use.
 */
export function createHandler({ http, clock, trustStore, runsLocally }: Deps) {
  return httpHandler('admin-create-issuer', { errors: 'admin', settings: http }, async (request) => {
    const key = readIdempotencyKey(request.headers);
    const body = parseJsonObject(request.body.toString('utf8'));
    const registration = readIssuerRegistration(body, runsLocally);
    const outcome = await registerIssuer(
      trustStore,
      clock,
      registration,
      key === undefined
        ? undefined
        : // Its own namespace: a key used for a client registration never meets an issuer's record.
          { keyHash: hashSecret(`issuer\n${key}`), requestHash: requestFingerprint(body) },
    );
    return jsonResult(outcome.replayed ? 200 : 201, issuerView(outcome.issuer));
  });
}
