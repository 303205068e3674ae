import type { Dependencies } from '#commons/dependencies.ts';
import { InvalidInput } from '#commons/domain/errors.ts';
import { SET_RETENTION_MS } from '#commons/domain/ssf.ts';
import { type JsonObject, knownFields, parseJsonObject } from '#commons/http/admin-json.ts';
import { httpHandler } from '#commons/http/handler.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'ssfStore' | 'ssfQueue'>;

/** Dead letters one call puts back (a page); call again for more. */
const MAX_PER_CALL = 100;

function jtisOf(input: JsonObject): string[] | undefined {
  const value = input.jtis;
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_PER_CALL ||
    !value.every((jti) => typeof jti === 'string' && jti !== '' && jti.length <= 128)
  ) {
    throw new InvalidInput('jtis', `must be an array of 1 to ${MAX_PER_CALL} jti strings`);
  }
  return value as string[];
}

/**
 * POST /admin/ssf/dead-letters/redeliver, JSON `{"jtis"?: [...], "streamId"?}`: puts dead letters back in
 * their streams' queues (the given ones; else up to 100 of one stream, or of all) with fresh retries, and
 * wakes the deliverer for each stream. -> 200 `{"redelivered": n}`. The SET is sent as it was signed,
 * same `jti`, so a receiver that got it after all can tell.
 */
export function createHandler({ http, clock, ssfStore, ssfQueue }: Deps) {
  return httpHandler(
    'admin-redeliver-ssf-dead-letters',
    { errors: 'admin', settings: http },
    async (request) => {
      const input = request.body.length === 0 ? {} : parseJsonObject(request.body.toString('utf8'));
      knownFields(input, ['jtis', 'streamId']);
      if (input.jtis !== undefined && input.streamId !== undefined) {
        throw new InvalidInput('streamId', 'cannot be given with "jtis"');
      }
      const streamId = input.streamId;
      if (
        streamId !== undefined &&
        (typeof streamId !== 'string' || streamId === '' || streamId.length > 128)
      ) {
        throw new InvalidInput('streamId', 'must be a stream id');
      }
      const jtis =
        jtisOf(input) ??
        (await ssfStore.deadLetters(streamId as string | undefined, MAX_PER_CALL)).sets.map((set) => set.jti);
      const expiresAt = Math.ceil((clock() + SET_RETENTION_MS) / 1000);
      const streams = new Set<string>();
      let redelivered = 0;
      for (const jti of jtis) {
        const revived = await ssfStore.reviveSet(jti, expiresAt);
        if (!revived) continue;
        redelivered++;
        streams.add(revived.streamId);
      }
      for (const id of streams) await ssfQueue.send({ kind: 'ssf-drain', streamId: id });
      return { statusCode: 200, json: { redelivered } };
    },
  );
}
