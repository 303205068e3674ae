import type { Dependencies } from '#commons/dependencies.ts';
import { sweepUntilDone } from '#commons/domain/sweep.ts';
import { logger } from '#commons/log.ts';
import { countSweep } from '#commons/observability.ts';
import { streamHandler } from '#commons/stream/handler.ts';

/** What the sweeper is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'sweepStore' | 'clock'>;

/** Kept back from the invocation's remaining time for the last sweep attempt and the batch's answer. */
const SWEEP_RESERVE_MS = 10_000;

/**
 * The table's stream -> the sweeps: a revoked grant, a client's new cut-off, a deleted client and a
 * subject's new cut-off each make it delete the tokens they made inactive, through the matching index.
 * A sweep never decides activity (the tokens are inactive already); it only removes them.
 */
export function createHandler({ sweepStore: store, clock }: Deps) {
  return streamHandler('sweeper', { inOrder: false, resweeps: true }, async (event, context) => {
    const started = clock();
    const count = await sweepUntilDone(store, clock, event, {
      // The invocation's own deadline bounds the waiting; past it the batch fails and the stream retries.
      remainingMs: () => context.getRemainingTimeInMillis?.(),
      reserveMs: SWEEP_RESERVE_MS,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      onRetry: (attempt, delayMs, error) =>
        logger.warn('sweep waiting for the store', {
          sweep: { of: event.type, revocationId: event.id, attempt, delayMs },
          // The SDK's own error (a timeout, a refused connection, throttling) says why.
          cause: causeName(error),
        }),
    });
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
}

function causeName(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${cause.name} ${code}` : cause.name;
}
