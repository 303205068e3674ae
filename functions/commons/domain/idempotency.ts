/**
 * Idempotent client registration (`POST /admin/clients` with an `Idempotency-Key`): a retried create
 * within 24 hours gets the client the first one made, never a second client.
 *
 * Why not Powertools Idempotency (`@aws-lambda-powertools/idempotency` with `DynamoDBPersistenceLayer`):
 * it persists the handler's response to replay it, and that response carries the client secret, which
 * must never rest in the clear. Wrapping only an inner "create and return the id" step would avoid that,
 * but Powertools still writes an in-progress record, runs the step and completes the record in three
 * separate writes: a crash between them leaves a client without a completed record (a retry after the
 * in-progress expiry creates a second client), and concurrent duplicates get an "in progress" error
 * instead of the client. Here the record and the client are one `TransactWriteItems`, so a record exists
 * exactly when its client was created, and losers of a race read the winner's record.
 */
import { createHash } from 'node:crypto';
import { type ClientRegistration, newClient } from './clients.ts';
import { IdempotencyKeyReused, NotFound, StoreUnavailable } from './errors.ts';
import type { Client, Clock } from './model.ts';

/** How long a key holds its client: a retry within this window replays, after it creates anew. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;
/** The longest `Idempotency-Key` accepted (characters). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface IdempotencyRecord {
  /** SHA-256 (base64url) of the key: keys are chosen by callers and may mean something to them. */
  readonly keyHash: string;
  /** `requestFingerprint` of the body the key was first used with. */
  readonly requestHash: string;
  /** The client that body created. */
  readonly clientId: string;
  /** Epoch seconds; TTL deletes the record late, so readers compare it with the clock. */
  readonly expiresAt: number;
}

/** What idempotent registration needs of the store. */
export interface IdempotentClientStore {
  getClient(clientId: string): Promise<Client | undefined>;
  /**
   * Writes the record and the client atomically, provided no record of the key exists that expires after
   * `nowSeconds`. False when one does or a concurrent write of the same key is in flight.
   */
  createClientOnce(client: Client, record: IdempotencyRecord, nowSeconds: number): Promise<boolean>;
  getIdempotencyRecord(keyHash: string): Promise<IdempotencyRecord | undefined>;
}

export type IdempotentCreation =
  | { readonly replayed: false; readonly client: Client; readonly secret?: string }
  | { readonly replayed: true; readonly client: Client };

/** JSON with object keys sorted at every level, so key order and whitespace do not make bodies differ. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The fingerprint a retry must match: SHA-256 of the parsed body in canonical form. A client library
 * that re-serializes its body on retry (other key order, other spacing) still matches; any other value
 * does not.
 */
export function requestFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('base64url');
}

/** Attempts while a concurrent create of the same key has not committed yet. */
const MAX_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Registers a client under an idempotency key. The first request (or the first after the key's record
 * expired) creates the client; a retry with the same body within the window gets that client back
 * (`replayed`, without its secret: secrets are shown once); the same key with another body is
 * `IdempotencyKeyReused`. If the client the key created was deleted since, the retry is `NotFound`, as
 * `GET` would answer: creating another would break the key's promise of one client.
 */
export async function createClientIdempotently(
  store: IdempotentClientStore,
  clock: Clock,
  registration: ClientRegistration,
  key: { readonly keyHash: string; readonly requestHash: string },
): Promise<IdempotentCreation> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // Full jitter, so racing duplicates do not collide on the same schedule.
    if (attempt > 0) await sleep(Math.random() * Math.min(250, 10 * 2 ** attempt));
    const now = clock();
    const nowSeconds = Math.floor(now / 1000);
    const created = newClient(registration, now);
    const record: IdempotencyRecord = {
      ...key,
      clientId: created.client.clientId,
      expiresAt: nowSeconds + IDEMPOTENCY_WINDOW_SECONDS,
    };
    if (await store.createClientOnce(created.client, record, nowSeconds)) {
      return { replayed: false, ...created };
    }
    const existing = await store.getIdempotencyRecord(key.keyHash);
    // Absent: the racing create that holds the key has not committed yet (or TTL just removed an expired
    // record). Expired: as good as absent; the next attempt overwrites it, conditionally.
    if (!existing || existing.expiresAt <= nowSeconds) continue;
    if (existing.requestHash !== key.requestHash) throw new IdempotencyKeyReused();
    const client = await store.getClient(existing.clientId);
    if (!client) throw new NotFound('client');
    return { replayed: true, client };
  }
  throw new StoreUnavailable();
}
