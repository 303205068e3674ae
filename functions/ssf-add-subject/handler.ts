import type { Dependencies } from '#commons/dependencies.ts';
import { subjectKey } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, subjectRequestOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore'>;

/**
 * POST /ssf/subjects/add (SSF 1.0 8.1.3.2): with `default_subjects: ALL` every subject is delivered, so
 * adding one undoes its removal. 200, empty body.
 */
export function createHandler({ http, store, clock, ssfStore }: Deps) {
  return httpHandler('ssf-add-subject', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const input = subjectRequestOf(parseJsonObject(bodyText(request)), true);
    const stream = await ownStream(ssfStore, input.streamId, receiver);
    const key = subjectKey(input.subject);
    if (stream.excluded.includes(key)) {
      const updated = {
        ...stream,
        excluded: stream.excluded.filter((k) => k !== key),
        version: stream.version + 1,
      };
      if (!(await ssfStore.updateStream(updated)))
        throw new StreamConflict('the stream changed meanwhile; retry');
    }
    return { statusCode: 200 };
  });
}
