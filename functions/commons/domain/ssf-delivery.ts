/**
 * The SSF transmitter's delivery: revocation events in, one signed SET per stream that takes it kept in
 * the store, pushed (RFC 8935) in revocation order per stream, or held for the receiver's polls
 * (RFC 8936). The same code runs in the deliverer function on AWS (fed by SQS) and in the local server's
 * process; only the ports differ (store, signer, HTTP push, wake-up queue, clock).
 */
import { randomBytes } from 'node:crypto';
import type { RevocationEvent } from './events.ts';
import type { Clock } from './model.ts';
import {
  DEAD_LETTER_RETENTION_MS,
  PUSH,
  RETRY_FOR_MS,
  retryDelayMs,
  SET_RETENTION_MS,
  type SetBody,
  type Stream,
  setBodyOf,
  setClaims,
  setJti,
  streamTakes,
  verificationBody,
} from './ssf.ts';

/** One SET kept for its stream. */
export interface StoredSet {
  readonly jti: string;
  readonly streamId: string;
  /** The compact JWS, signed once: a redelivery sends the same bytes, with the same `jti`. */
  readonly jwt: string;
  /** The revocation event's id; absent for verification events. */
  readonly txn?: string;
  /** Epoch milliseconds of the revocation: the delivery order within the stream. */
  readonly time: number;
  /** The stream's generation when it was made (see `Stream.generation`). */
  readonly generation: number;
  readonly createdAt: number;
  /** Epoch seconds: the store drops it then (TTL). */
  readonly expiresAt: number;
  readonly attempts: number;
  readonly firstAttemptAt?: number;
  /** Push: not before this (backoff). Poll: not offered again before this (awaiting its ack). */
  readonly nextAttemptAt?: number;
  /** The last failed attempt's cause (`status 500`, `ECONNREFUSED`). */
  readonly lastError?: string;
  /** Set on dead letters: when retries gave up. */
  readonly deadAt?: number;
}

/** A page of SETs. */
export interface SetPage {
  readonly sets: readonly StoredSet[];
  /** Opaque, for the next page; absent on the last. */
  readonly cursor?: string;
}

/** The store of streams and their SETs. */
export interface SsfStore {
  /** Creates a stream; false if its id is taken. */
  createStream(stream: Stream): Promise<boolean>;
  getStream(streamId: string): Promise<Stream | undefined>;
  /** Every stream (the fan-out), or one receiver's. */
  listStreams(receiver?: string): Promise<Stream[]>;
  /** Writes `stream` if the stored one still has version `stream.version - 1`; false otherwise. */
  updateStream(stream: Stream): Promise<boolean>;
  /** Deletes the receiver's stream; false if there was none. */
  deleteStream(streamId: string, receiver: string): Promise<boolean>;
  /** Keeps a SET unless one with its `jti` is kept already (then false). */
  putSet(set: StoredSet): Promise<boolean>;
  /** The stream's waiting SETs, oldest revocation first. */
  pendingSets(streamId: string, limit: number): Promise<{ sets: StoredSet[]; more: boolean }>;
  /** Removes a SET of this stream (delivered, refused or acknowledged); false if it was not there. */
  deleteSet(jti: string, streamId: string): Promise<boolean>;
  /** Records a failed push or a poll's offer: attempts, when the next may be, why it failed. */
  recordAttempt(set: StoredSet, update: AttemptUpdate): Promise<void>;
  /** Moves a SET to the dead letters. */
  killSet(set: StoredSet, at: number, expiresAt: number): Promise<void>;
  /** Dead letters, of one stream or all, oldest first. */
  deadLetters(streamId: string | undefined, limit: number, cursor?: string): Promise<SetPage>;
  /** Puts a dead letter back in its stream's queue with fresh retries; undefined if there is no such dead letter. */
  reviveSet(jti: string, expiresAt: number): Promise<StoredSet | undefined>;
  /** Takes the stream's delivery lease until `until` if nobody holds it at `now`. */
  acquireLease(streamId: string, now: number, until: number): Promise<boolean>;
  /** Gives the lease back, if it is still the one taken until `until`. */
  releaseLease(streamId: string, until: number): Promise<void>;
  /**
   * Notes a wake-up of the stream at `at` unless one no later than `at` is pending (after `now`); true
   * when the caller should send it.
   */
  scheduleWake(streamId: string, at: number, now: number): Promise<boolean>;
}

export interface AttemptUpdate {
  readonly attempts: number;
  readonly firstAttemptAt: number;
  readonly nextAttemptAt: number;
  readonly lastError?: string;
}

/** Signs SET claims into a compact JWS (`typ: secevent+jwt`, RS256). */
export interface SetSigner {
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** What a receiver answered one push (RFC 8935 2.2 / 2.3). */
export interface PushOutcome {
  /** The HTTP status; undefined when no answer came (refused, reset, timed out). */
  readonly status: number | undefined;
  /** Why it failed, in an operator's words (`status 500`, `ECONNREFUSED`, `timeout after 10000 ms`). */
  readonly cause?: string;
  /** A 400's RFC 8935 error: `err` and `description`, when the body had them. */
  readonly err?: string;
  readonly description?: string;
}

/** POSTs one SET to a receiver. */
export type PushTransport = (
  url: string,
  jwt: string,
  authorization: string | undefined,
) => Promise<PushOutcome>;

/** Messages of the deliverer's queue (SQS on AWS, timers locally) besides the revocation events. */
export type SsfMessage =
  | { readonly kind: 'ssf-drain'; readonly streamId: string }
  | { readonly kind: 'ssf-verify'; readonly streamId: string; readonly state?: string };

/** Sends a message to the deliverer, after `delayMs` (at most the queue's `maxDelayMs`). */
export interface SsfQueue {
  readonly maxDelayMs: number;
  send(message: SsfMessage, delayMs?: number): Promise<void>;
}

/** Log lines of the delivery (the domain's port to the logger): never a SET or a credential. */
export interface DeliveryLog {
  delivered(set: StoredSet, stream: Stream, ms: number): void;
  refused(set: StoredSet, stream: Stream, outcome: PushOutcome): void;
  failed(set: StoredSet, stream: Stream, outcome: PushOutcome, nextInMs: number | undefined): void;
}

export interface TransmitterOptions {
  readonly store: SsfStore;
  readonly signer: SetSigner;
  readonly push: PushTransport;
  readonly queue: SsfQueue;
  readonly clock: Clock;
  /** The service's issuer: the SETs' `iss`. */
  readonly issuer: () => string;
  readonly log: DeliveryLog;
  /** In [0, 1); the backoff's jitter. */
  readonly random?: () => number;
  /** How long one drain may run before it hands the stream on to a fresh wake-up (a Lambda's budget). */
  readonly drainBudgetMs?: number;
}

/** How long a drain holds its stream; longer than one push's deadline, shorter than a deliverer's timeout. */
export const LEASE_MS = 30_000;
/** A stream held by another drain is looked at again this soon. */
const BUSY_RETRY_MS = 1000;
/** SETs read per round of a drain. */
const DRAIN_PAGE = 20;

/** The transmitter's delivery engine. */
export class Transmitter {
  private readonly random: () => number;
  private readonly drainBudgetMs: number;

  constructor(private readonly options: TransmitterOptions) {
    this.random = options.random ?? Math.random;
    this.drainBudgetMs = options.drainBudgetMs ?? 20_000;
  }

  /**
   * One revocation event: a SET for every stream that takes it (enabled or paused, the event type
   * requested, the subject not removed), then a drain of each push stream queued. The drains run apart
   * (their own invocations on AWS, their own timers locally), so a receiver that hangs delays its own
   * stream only. Idempotent: the same event again makes SETs with the same `jti`, which are kept once.
   */
  async publish(event: RevocationEvent): Promise<number> {
    const issuer = this.options.issuer();
    const body = setBodyOf(event, issuer);
    if (!body) return 0;
    const streams = (await this.options.store.listStreams()).filter((stream) => streamTakes(stream, body));
    await Promise.all(streams.map((stream) => this.keep(stream, body, setJti(stream.streamId, event.id))));
    const now = this.options.clock();
    await Promise.all(streams.filter(isPushEnabled).map((stream) => this.wakeAt(stream.streamId, now)));
    return streams.length;
  }

  /** SSF verification: a verification SET with the receiver's `state`, delivered on the stream. */
  async verify(streamId: string, state: string | undefined): Promise<void> {
    const stream = await this.options.store.getStream(streamId);
    if (!stream || stream.status === 'disabled') return;
    await this.keep(stream, verificationBody(streamId, state, this.options.clock()), randomJti());
    if (isPushEnabled(stream)) await this.wakeAt(streamId, this.options.clock());
  }

  private async keep(stream: Stream, body: SetBody, jti: string): Promise<void> {
    const now = this.options.clock();
    const jwt = await this.options.signer.sign(setClaims(body, stream, this.options.issuer(), jti, now));
    await this.options.store.putSet({
      jti,
      streamId: stream.streamId,
      jwt,
      ...(body.txn !== undefined && { txn: body.txn }),
      time: body.time,
      generation: stream.generation,
      createdAt: now,
      expiresAt: Math.ceil((now + SET_RETENTION_MS) / 1000),
      attempts: 0,
    });
  }

  /**
   * Pushes the stream's waiting SETs in order while it is an enabled push stream. One drain per stream
   * at a time (a lease), so order holds whatever runs concurrently. A SET the receiver did not take
   * stops the drain (later SETs wait behind it) and schedules a retry with backoff; after
   * `RETRY_FOR_MS` of failures it becomes a dead letter and the ones behind it go on.
   */
  async drain(streamId: string): Promise<void> {
    const { store, clock } = this.options;
    const started = clock();
    const leaseUntil = started + LEASE_MS;
    if (!(await store.acquireLease(streamId, started, leaseUntil))) {
      await this.wakeAt(streamId, started + BUSY_RETRY_MS);
      return;
    }
    let again = false;
    try {
      again = await this.drainHeld(streamId, started);
    } finally {
      await store.releaseLease(streamId, leaseUntil);
    }
    // Out of budget: the rest goes to a fresh invocation.
    if (again) await this.wakeAt(streamId, clock());
  }

  /** Returns true when the budget ran out with SETs left. */
  private async drainHeld(streamId: string, started: number): Promise<boolean> {
    const { store, clock, push, log } = this.options;
    for (;;) {
      const stream = await store.getStream(streamId);
      if (!stream || !isPushEnabled(stream)) return false;
      const url = stream.delivery.endpoint_url;
      if (url === undefined) return false;
      const { sets } = await store.pendingSets(streamId, DRAIN_PAGE);
      if (sets.length === 0) return false;
      for (const set of sets) {
        if (set.generation < stream.generation) {
          await store.deleteSet(set.jti, streamId);
          continue;
        }
        const now = clock();
        if (set.nextAttemptAt !== undefined && set.nextAttemptAt > now) {
          await this.wakeAt(streamId, set.nextAttemptAt);
          return false;
        }
        const outcome = await push(url, set.jwt, stream.delivery.authorization_header);
        if (outcome.status === 202) {
          await store.deleteSet(set.jti, streamId);
          log.delivered(set, stream, clock() - now);
          continue;
        }
        if (outcome.status === 400) {
          // RFC 8935 2.3: the receiver refused this SET for good; sending it again would fail again.
          await store.deleteSet(set.jti, streamId);
          log.refused(set, stream, outcome);
          continue;
        }
        const attempts = set.attempts + 1;
        const firstAttemptAt = set.firstAttemptAt ?? now;
        if (now - firstAttemptAt >= RETRY_FOR_MS) {
          await store.killSet(set, now, Math.ceil((now + DEAD_LETTER_RETENTION_MS) / 1000));
          log.failed(set, stream, outcome, undefined);
          continue;
        }
        const next = now + retryDelayMs(attempts, this.random());
        await store.recordAttempt(set, {
          attempts,
          firstAttemptAt,
          nextAttemptAt: next,
          ...(outcome.cause !== undefined && { lastError: outcome.cause }),
        });
        log.failed(set, stream, outcome, next - now);
        await this.wakeAt(streamId, next);
        return false;
      }
      if (clock() - started > this.drainBudgetMs) return true;
    }
  }

  /** Has the stream drained at `at` (or as late as the queue can wait; the drain then waits again). */
  private async wakeAt(streamId: string, at: number): Promise<void> {
    const { store, clock, queue } = this.options;
    const now = clock();
    const fireAt = Math.min(Math.max(at, now), now + queue.maxDelayMs);
    if (await store.scheduleWake(streamId, fireAt, now)) {
      await queue.send({ kind: 'ssf-drain', streamId }, fireAt - now);
    }
  }
}

const isPushEnabled = (stream: Stream) => stream.status === 'enabled' && stream.delivery.method === PUSH;

/** A verification SET's `jti`: random, 128 bits. */
function randomJti(): string {
  return randomBytes(16).toString('base64url');
}

/** RFC 8936 2.4 poll request, read. */
export interface PollRequest {
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
  readonly ack: readonly string[];
  readonly setErrs: Readonly<Record<string, { readonly err: string; readonly description?: string }>>;
}

/** How long an offered SET waits for its ack before a later poll offers it again. */
export const POLL_ACK_WAIT_MS = 30_000;

/**
 * One RFC 8936 poll of a stream: acknowledgements and errors first (each removes its SET), then the
 * waiting SETs not offered in the last `POLL_ACK_WAIT_MS`, oldest first, up to `maxEvents`. A paused or
 * disabled stream offers nothing. Without `returnImmediately`, an empty answer waits up to `waitMs` for
 * a SET.
 */
export async function poll(
  store: SsfStore,
  clock: Clock,
  stream: Stream,
  request: PollRequest,
  waitMs: number,
  onSetError: (jti: string, err: string) => void,
): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
  const { streamId } = stream;
  await Promise.all(request.ack.map((jti) => store.deleteSet(jti, streamId)));
  for (const [jti, error] of Object.entries(request.setErrs)) {
    if (await store.deleteSet(jti, streamId)) onSetError(jti, error.err);
  }
  const until = clock() + (request.returnImmediately ? 0 : waitMs);
  for (;;) {
    if (stream.status !== 'enabled' || request.maxEvents === 0) return { sets: {}, moreAvailable: false };
    const now = clock();
    const { sets, more } = await store.pendingSets(streamId, request.maxEvents + 1);
    const offer: StoredSet[] = [];
    let moreAvailable = more;
    for (const set of sets) {
      if (set.generation < stream.generation) {
        await store.deleteSet(set.jti, streamId);
        continue;
      }
      if (set.nextAttemptAt !== undefined && set.nextAttemptAt > now) continue;
      if (offer.length === request.maxEvents) {
        moreAvailable = true;
        break;
      }
      offer.push(set);
    }
    if (offer.length > 0 || clock() >= until) {
      await Promise.all(
        offer.map((set) =>
          store.recordAttempt(set, {
            attempts: set.attempts + 1,
            firstAttemptAt: set.firstAttemptAt ?? now,
            nextAttemptAt: now + POLL_ACK_WAIT_MS,
          }),
        ),
      );
      return { sets: Object.fromEntries(offer.map((set) => [set.jti, set.jwt])), moreAvailable };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
