import { sweep } from '#commons/domain/sweep.ts';
import { logger } from '#commons/log.ts';
import { countSweep } from '#commons/observability.ts';
import { clock, store } from '#commons/runtime.ts';
import { streamHandler } from '#commons/stream/handler.ts';

/**
 * The table's stream -> the sweeps: a revoked grant, a client's new cut-off, a deleted client and a
 * subject's new cut-off each make it delete the tokens they made inactive, through the matching index.
 * A sweep never decides activity (the tokens are inactive already); it only removes them.
 */
export const handler = streamHandler('sweeper', { inOrder: false }, async (event) => {
  const started = clock();
  const count = await sweep(store, clock, event);
  if (count === undefined) return;
  const lagMs = clock() - event.time;
  logger.info('sweep completed', {
    sweep: {
      of: event.type,
      revocationId: event.id,
      ...(event.clientId !== undefined && { clientId: event.clientId }),
      ...(event.grantId !== undefined && { grantId: event.grantId }),
      ...(event.subjectKey !== undefined && { subjectKey: event.subjectKey }),
      count,
      durationMs: clock() - started,
      lagMs,
    },
  });
  countSweep(event.type, count, lagMs);
});
