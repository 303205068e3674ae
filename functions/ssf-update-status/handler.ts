import type { Dependencies } from '#commons/dependencies.ts';
import { PUSH, type Stream, streamStatus } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, statusUpdateOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'ssfQueue'>;

/**
 * POST /ssf/status (SSF 1.0 8.1.2.2): `enabled`, `paused` (SETs are kept and delivered in order once
 * enabled again) or `disabled` (SETs are not kept: a disable drops those waiting, by the stream's
 * generation). Enabling a push stream wakes the deliverer at once.
 */
export function createHandler({ http, store, clock, ssfStore, ssfQueue }: Deps) {
  return httpHandler('ssf-update-status', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const input = statusUpdateOf(parseJsonObject(bodyText(request)));
    const { reason: _previous, ...stream } = await ownStream(ssfStore, input.streamId, receiver);
    const updated: Stream = {
      ...stream,
      status: input.status,
      ...(input.reason !== undefined && { reason: input.reason }),
      generation:
        input.status === 'disabled' && stream.status !== 'disabled'
          ? stream.generation + 1
          : stream.generation,
      version: stream.version + 1,
    };
    if (!(await ssfStore.updateStream(updated)))
      throw new StreamConflict('the stream changed meanwhile; retry');
    if (updated.status === 'enabled' && updated.delivery.method === PUSH) {
      await ssfQueue.send({ kind: 'ssf-drain', streamId: updated.streamId });
    }
    return { statusCode: 200, json: streamStatus(updated) };
  });
}
