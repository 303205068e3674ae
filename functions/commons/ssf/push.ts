/**
 * RFC 8935 push: one SET per POST to the receiver's endpoint, `Content-Type: application/secevent+jwt`,
 * the stream's `authorization_header` if it has one. What came back is reported as the domain reads it
 * (202 delivered, 400 refused, anything else failed); never the SET or the credential.
 */
import type { PushOutcome, PushTransport } from '../domain/ssf-delivery.ts';
import { failureReason } from '../event-delivery/sinks.ts';

/** A push's hard deadline: a receiver that hangs fails this attempt, not the whole drain. */
export const PUSH_TIMEOUT_MS = 10_000;

/** The RFC 8935 2.3 error body of a 400, when it is one. */
async function errorBody(response: Response): Promise<{ err?: string; description?: string }> {
  try {
    const body = (await response.json()) as { err?: unknown; description?: unknown };
    return {
      ...(typeof body.err === 'string' && { err: body.err.slice(0, 64) }),
      ...(typeof body.description === 'string' && { description: body.description.slice(0, 200) }),
    };
  } catch {
    return {};
  }
}

/** Pushes with fetch; a redirect is not followed (it is no 202, so the SET is retried and logged). */
export const fetchPush: PushTransport = async (url, jwt, authorization): Promise<PushOutcome> => {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/secevent+jwt',
        Accept: 'application/json',
        ...(authorization !== undefined && { Authorization: authorization }),
      },
      body: jwt,
      redirect: 'manual',
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
  } catch (error) {
    const reason = failureReason(error);
    return {
      status: undefined,
      cause: reason.startsWith('timeout') ? `timeout after ${PUSH_TIMEOUT_MS} ms` : reason,
    };
  }
  if (response.status === 400) return { status: 400, cause: 'status 400', ...(await errorBody(response)) };
  await response.arrayBuffer().catch(() => undefined);
  return { status: response.status, ...(response.status !== 202 && { cause: `status ${response.status}` }) };
};
