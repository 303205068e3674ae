/**
 * The SSF transmitter in the local server's process: the same deliverer code as the Lambda
 * (functions/commons/ssf/transmitter.ts), with the publisher's events arriving through an outbox in the
 * data directory (kept across restarts with --data-dir, retried until the SETs are stored), timers in place
 * of SQS for wake-ups and verifications, and the signing key generated in the data directory.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SsfMessage, SsfQueue } from '#commons/domain/ssf-delivery.ts';
import { invocations } from './invocations.ts';

/**
 * Runs transmitter work as an invocation of the deliverer, as on AWS: its table calls are the deliverer's
 * (the suite's audit checks them against its manifest entry), not those of the publisher whose event
 * started them, nor of no function at all (a timer's).
 */
const asDeliverer = <T>(fn: () => Promise<T>): Promise<T> =>
  invocations.run({ functionName: 'ssf-deliverer', requestId: randomUUID() }, fn);

/** The running local transmitter. */
export interface LocalSsf {
  /** Once the server listens: its URL is the SETs' `iss` unless ISSUER is set; waiting pushes resume. */
  listening(url: string): Promise<void>;
  stop(): void;
}

/**
 * Starts the local transmitter with its key and outbox under `dir`. Sets `SSF_KEY_DIR` for the JWKS route,
 * so call it before the server loads the handlers, after the table's environment is set.
 */
export async function startLocalSsf(dir: string): Promise<LocalSsf> {
  const { SSF_ENV } = await import('#commons/ssf/config.ts');
  process.env[SSF_ENV.keyDir] ??= dir;
  const keyDir = process.env[SSF_ENV.keyDir] ?? dir;
  const [
    { localKeys, localSigner },
    { useLocalQueue },
    { createTransmitter, handleMessage },
    { localSinks },
    { Outbox },
    { logger },
    { ssfStore },
  ] = await Promise.all([
    import('#commons/ssf/keys.ts'),
    import('#commons/ssf/queue.ts'),
    import('#commons/ssf/transmitter.ts'),
    import('#commons/event-delivery/sinks.ts'),
    import('#commons/event-delivery/outbox.ts'),
    import('#commons/log.ts'),
    import('#commons/ssf/runtime.ts'),
  ]);
  // Generated now, not at the first SET: the JWKS route and the first revocation then find it ready.
  await localKeys(keyDir);
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const run = (message: SsfMessage, delayMs: number, failures = 0): void => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      asDeliverer(() => handleMessage(transmitter, message)).catch((error: unknown) => {
        // As SQS would: the message comes back later (the table was down, say).
        logger.warn('SSF message failed; retrying', {
          ssf: {
            kind: message.kind,
            streamId: message.streamId,
            cause: error instanceof Error ? error.name : String(error),
          },
        });
        run(message, Math.min(30_000, 500 * 2 ** failures), failures + 1);
      });
    }, delayMs);
    timers.add(timer);
  };
  const queue: SsfQueue = {
    maxDelayMs: 900_000,
    send: async (message, delayMs = 0) => run(message, delayMs),
  };
  const transmitter = createTransmitter(localSigner(keyDir), queue);
  useLocalQueue(queue);
  const outbox = new Outbox(
    join(dir, 'outbox'),
    async (event) => {
      await asDeliverer(() => transmitter.publish(event));
    },
    {
      onFailure: (event, error) =>
        logger.warn('SSF could not take an event; kept in its outbox', {
          ssf: {
            eventId: event.id,
            type: event.type,
            cause: error instanceof Error ? error.name : String(error),
          },
        }),
    },
  );
  const sink = async (event: Parameters<typeof outbox.keep>[0]) => outbox.keep(event);
  localSinks.push(sink);
  return {
    async listening(url) {
      process.env[SSF_ENV.defaultIssuer] ??= url;
      // Wake-ups were timers of the previous process: every enabled push stream is looked at once.
      try {
        for (const stream of await asDeliverer(() => ssfStore.listStreams())) {
          if (stream.status === 'enabled' && stream.delivery.method === 'urn:ietf:rfc:8935') {
            run({ kind: 'ssf-drain', streamId: stream.streamId }, 0);
          }
        }
      } catch (error) {
        logger.warn('SSF streams could not be resumed', {
          cause: error instanceof Error ? error.name : String(error),
        });
      }
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      localSinks.splice(localSinks.indexOf(sink), 1);
      useLocalQueue(undefined);
    },
  };
}
