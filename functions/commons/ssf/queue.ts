/**
 * The deliverer's queue: wake-ups of a stream (a retry's backoff, a re-enabled stream, a redelivery) and
 * verification requests. SQS on AWS; locally the local server passes an in-process one to the routes it serves.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SsfMessage, SsfQueue } from '../domain/ssf-delivery.ts';

/** SQS's longest message delay. */
export const SQS_MAX_DELAY_MS = 900_000;

/** Messages on the SQS queue the deliverer consumes. */
export function sqsQueue(client: SQSClient, queueUrl: string): SsfQueue {
  return {
    maxDelayMs: SQS_MAX_DELAY_MS,
    async send(message: SsfMessage, delayMs = 0) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          DelaySeconds: Math.min(900, Math.max(0, Math.ceil(delayMs / 1000))),
        }),
        { abortSignal: AbortSignal.timeout(3000) },
      );
    },
  };
}

/** Whether a message body is one of the deliverer's own messages (not a revocation event). */
export function isSsfMessage(value: unknown): value is SsfMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, streamId } = value as { kind?: unknown; streamId?: unknown };
  return (kind === 'ssf-drain' || kind === 'ssf-verify') && typeof streamId === 'string';
}
