import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, verificationOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, ownStream, ssfQueue } from '#commons/ssf/runtime.ts';

/**
 * POST /ssf/verify (SSF 1.0 8.1.4.2): 204, then a verification SET carrying `state` on the stream. The
 * deliverer signs it (the one function allowed to sign), so the route hands it the request.
 */
export const handler = httpHandler('ssf-verify', { errors: 'ssf' }, async (request) => {
  const receiver = await authorizeReceiver(request, 'manage');
  const input = verificationOf(parseJsonObject(bodyText(request)));
  await ownStream(input.streamId, receiver);
  await ssfQueue().send({
    kind: 'ssf-verify',
    streamId: input.streamId,
    ...(input.state !== undefined && { state: input.state }),
  });
  return { statusCode: 204 };
});
