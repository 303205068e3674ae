/**
 * The SSF transmitter in the local server's process: the same deliverer code as the Lambda
 * (functions/commons/ssf/transmitter.ts), with the publisher's events arriving through an outbox in the
 * data directory (kept across restarts with --data-dir, retried until the SETs are stored), timers in place
 * of SQS for wake-ups and verifications, and the signing key generated in the data directory.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ENV } from '#commons/config.ts';
import type { RevocationEvent } from '#commons/domain/events.ts';
import type { SsfMessage, SsfQueue } from '#commons/domain/ssf-delivery.ts';
import { Outbox } from '#commons/event-delivery/outbox.ts';
import { logger } from '#commons/log.ts';
import { SSF_ENV, setIssuer } from '#commons/ssf/config.ts';
import { localKeys, localSigner } from '#commons/ssf/keys.ts';
import { createTransmitter, handleMessage } from '#commons/ssf/transmitter.ts';
import type { SsfDynamoStore } from '#commons/store/ssf.ts';
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
  /** The in-process queue the SSF routes send wake-ups and verifications to. */
  readonly queue: SsfQueue;
  /** The publisher's sink for it: every event goes to its outbox, then becomes SETs. */
  readonly sink: (event: RevocationEvent) => Promise<void>;
  /** The SETs' `iss`: `ISSUER`, else the server's URL once it listens. */
  readonly issuer: () => string;
  /** Once the server listens: its URL is the SETs' `iss` unless ISSUER is set; waiting pushes resume. */
  listening(url: string): Promise<void>;
  stop(): void;
}

export interface LocalSsfOptions {
  /** Where its outbox is kept (in the data directory). */
  readonly dir: string;
  /** Where its signing key is kept (`SSF_KEY_DIR`, else `dir`). */
  readonly keyDir: string;
  /** The SSF store the functions share. */
  readonly store: SsfDynamoStore;
  /** `ISSUER`, if set. */
  readonly issuer: string | undefined;
  /** `SSF_DEFAULT_ISSUER`, if set; else the server's URL once it listens. */
  readonly defaultIssuer: string | undefined;
}

/**
 * Starts the local transmitter with its outbox under `dir` and its key in `keyDir`. The server passes its
 * queue, sink and issuer to the functions it serves.
 */
export async function startLocalSsf(options: LocalSsfOptions): Promise<LocalSsf> {
  const { dir, keyDir, store } = options;
  let defaultIssuer = options.defaultIssuer;
  const issuer = () => setIssuer({ [ENV.issuer]: options.issuer, [SSF_ENV.defaultIssuer]: defaultIssuer });
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
  const transmitter = createTransmitter({ store, signer: localSigner(keyDir), queue, issuer });
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
  const sink = async (event: RevocationEvent) => outbox.keep(event);
  return {
    queue,
    sink,
    issuer,
    async listening(url) {
      defaultIssuer ??= url;
      // Wake-ups were timers of the previous process: every enabled push stream is looked at once.
      try {
        for (const stream of await asDeliverer(() => store.listStreams())) {
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
    },
  };
}
