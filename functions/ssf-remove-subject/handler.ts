import type { Dependencies } from '#commons/dependencies.ts';
import { InvalidInput } from '#commons/domain/errors.ts';
import { subjectKey } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, subjectRequestOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore'>;

/** Subjects one stream may exclude: the list lives on the stream's item. */
export const MAX_EXCLUDED_SUBJECTS = 500;

/** POST /ssf/subjects/remove (SSF 1.0 8.1.3.3): no SET about this subject is delivered on the stream. 204. */
export function createHandler({ http, store, clock, ssfStore }: Deps) {
  return httpHandler('ssf-remove-subject', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const input = subjectRequestOf(parseJsonObject(bodyText(request)), false);
    const stream = await ownStream(ssfStore, input.streamId, receiver);
    const key = subjectKey(input.subject);
    if (!stream.excluded.includes(key)) {
      if (stream.excluded.length >= MAX_EXCLUDED_SUBJECTS) {
        throw new InvalidInput(
          'subject',
          `would exceed the ${MAX_EXCLUDED_SUBJECTS} subjects a stream may remove`,
        );
      }
      const updated = { ...stream, excluded: [...stream.excluded, key], version: stream.version + 1 };
      if (!(await ssfStore.updateStream(updated)))
        throw new StreamConflict('the stream changed meanwhile; retry');
    }
    return { statusCode: 204 };
  });
}
