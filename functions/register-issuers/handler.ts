import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import type { Dependencies } from '#commons/dependencies.ts';
import { IssuerExists, registerIssuer } from '#commons/domain/trusted-admin.ts';
import { parseJsonObject } from '#commons/http/admin-json.ts';
import { readIssuerRegistration } from '#commons/http/issuer-json.ts';
import { logger, observe } from '#commons/observability.ts';

/** What the custom resource's function is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'trustStore' | 'clock'>;

/** The custom resource's one property: the `trustedIssuers` prop as JSON (tokens resolved by CloudFormation). */
export const ISSUERS_PROPERTY = 'Issuers';
const PHYSICAL_ID = 'trusted-issuers';

/**
 * Registers the construct's `trustedIssuers` at deploy (a CloudFormation custom resource). Idempotent:
 * an issuer registered already (by an earlier deploy, or through the admin API) is left as it is, so a
 * redeploy or a retried deploy changes nothing; a registration is checked by the admin API's own rules.
 * Removing an issuer from the prop, or the stack, deletes nothing: an operator deletes a registration
 * (`revocation-admin issuers delete`), since a deletion revokes every token of the issuer.
 */
async function register(
  { trustStore, clock }: Deps,
  event: CloudFormationCustomResourceEvent,
): Promise<string[]> {
  if (event.RequestType === 'Delete') return [];
  const list = JSON.parse(String(event.ResourceProperties[ISSUERS_PROPERTY] ?? '[]')) as unknown[];
  // All checked before any is written: a refused one leaves the table as it was.
  const registrations = list.map((body) =>
    readIssuerRegistration(parseJsonObject(JSON.stringify(body)), false),
  );
  const registered: string[] = [];
  for (const registration of registrations) {
    try {
      const { issuer } = await registerIssuer(trustStore, clock, registration);
      registered.push(issuer.issuerId);
      logger.info('trusted issuer registered at deploy', {
        issuer: issuer.issuer,
        issuerId: issuer.issuerId,
      });
    } catch (error) {
      if (!(error instanceof IssuerExists)) throw error;
    }
  }
  return registered;
}

/**
 * CloudFormation waits for the answer at the request's pre-signed S3 URL; whatever happens, one is sent
 * (a FAILED one names the reason, never a secret: registrations hold none), so a deploy never hangs for
 * an hour on a custom resource that did not answer.
 */
async function respond(
  event: CloudFormationCustomResourceEvent,
  response: CloudFormationCustomResourceResponse,
) {
  const answer = await fetch(event.ResponseURL, {
    method: 'PUT',
    // S3's pre-signed URL was signed without a content type.
    headers: { 'content-type': '' },
    body: JSON.stringify(response),
    signal: AbortSignal.timeout(10_000),
  });
  if (!answer.ok) throw new Error(`CloudFormation's response URL answered ${answer.status}`);
}

export function createHandler(deps: Deps) {
  return middy<CloudFormationCustomResourceEvent>()
    .use(observe('register-issuers'))
    .handler(async (event) => {
      const base = {
        PhysicalResourceId: PHYSICAL_ID,
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
      };
      try {
        const registered = await register(deps, event);
        await respond(event, { ...base, Status: 'SUCCESS', Data: { Registered: registered.join(',') } });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        logger.error('trusted issuers not registered', { reason });
        await respond(event, {
          ...base,
          Status: 'FAILED',
          Reason: `trusted issuers not registered: ${reason}`,
        });
      }
    });
}
