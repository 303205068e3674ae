/**
 * The deliverer's pieces both runtimes share (the Lambda in functions/ssf-deliverer, the local server in
 * tools/local/ssf.ts): the transmitter with its logging, and the reading of the queue's messages, which
 * are either a revocation event as EventBridge hands it to a target, or one of the deliverer's own.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RevocationEvent, RevocationType } from '../domain/events.ts';
import { type DeliveryLog, type SetSigner, type SsfQueue, Transmitter } from '../domain/ssf-delivery.ts';
import { EVENT_SOURCE, type EventEnvelope } from '../event-delivery/eventbridge.ts';
import { logger } from '../log.ts';
import { metrics } from '../observability.ts';
import type { SsfDynamoStore } from '../store/ssf.ts';
import { fetchPush } from './push.ts';
import { isSsfMessage } from './queue.ts';

/** One line per push outcome: stream, jti, txn and cause; never the SET or the receiver's credential. */
export const deliveryLog: DeliveryLog = {
  delivered: (set, stream, ms) =>
    logger.info('SET delivered', { ssf: { streamId: stream.streamId, jti: set.jti, txn: set.txn, ms } }),
  refused: (set, stream, outcome) =>
    logger.warn('SET refused by receiver', {
      ssf: {
        streamId: stream.streamId,
        jti: set.jti,
        txn: set.txn,
        err: outcome.err,
        description: outcome.description,
      },
    }),
  failed: (set, stream, outcome, nextInMs) => {
    // The dead-letter alarm's metric: a SET given up on after 24 hours of retries.
    if (nextInMs === undefined) {
      const single = metrics.singleMetric();
      single.addMetric('SsfDeadLetters', MetricUnit.Count, 1);
    }
    logger.warn(nextInMs === undefined ? 'SET moved to dead letters' : 'SET delivery failed', {
      ssf: {
        streamId: stream.streamId,
        jti: set.jti,
        txn: set.txn,
        cause: outcome.cause,
        attempt: set.attempts + 1,
        ...(nextInMs !== undefined && { retryInMs: nextInMs }),
      },
    });
  },
};

/** What a transmitter is made of; the deliverer's root (or the local server) builds each. */
export interface TransmitterParts {
  readonly store: SsfDynamoStore;
  readonly signer: SetSigner;
  readonly queue: SsfQueue;
  /** The SETs' `iss` (`setIssuer`): asked per SET, as the local server learns its URL after it starts. */
  readonly issuer: () => string;
}

/** The transmitter over the SSF store, with the given signer, queue and issuer. */
export function createTransmitter({ store, signer, queue, issuer }: TransmitterParts): Transmitter {
  return new Transmitter({
    store,
    signer,
    push: fetchPush,
    queue,
    clock: Date.now,
    issuer,
    log: deliveryLog,
  });
}

/**
 * A revocation event back from the envelope EventBridge delivered (docs/events.md's `detail`), or
 * undefined when the envelope is not one of the service's events.
 */
export function revocationFromEnvelope(value: unknown): RevocationEvent | undefined {
  const envelope = value as Partial<EventEnvelope> | null;
  if (typeof envelope !== 'object' || envelope === null || envelope.source !== EVENT_SOURCE) return undefined;
  const detail = envelope.detail as (EventEnvelope['detail'] & Record<string, unknown>) | undefined;
  const type = envelope['detail-type'];
  if (!detail || typeof detail.id !== 'string' || typeof type !== 'string') return undefined;
  const time = Date.parse(detail.time);
  if (Number.isNaN(time)) return undefined;
  const text = (name: string) => (typeof detail[name] === 'string' ? { [name]: detail[name] as string } : {});
  return {
    type: type as RevocationType,
    id: detail.id,
    time,
    actor: detail.actor,
    ...text('route'),
    ...text('clientId'),
    ...text('grantId'),
    ...text('subject'),
    ...text('tokenId'),
    // The trusted issuers' events add these; passed on as they came.
    ...text('issuer'),
    ...text('family'),
    ...(typeof detail.tokensRevokedBefore === 'number' && {
      tokensRevokedBefore: detail.tokensRevokedBefore,
    }),
  } as RevocationEvent;
}

/** Handles one queue message body. Throws on what should be retried (the store or KMS failing). */
export async function handleMessage(transmitter: Transmitter, body: unknown): Promise<void> {
  if (isSsfMessage(body)) {
    if (body.kind === 'ssf-drain') await transmitter.drain(body.streamId);
    else await transmitter.verify(body.streamId, body.state);
    return;
  }
  const event = revocationFromEnvelope(body);
  if (event) {
    await transmitter.publish(event);
    return;
  }
  logger.warn('SSF deliverer ignored a message it does not know');
}
