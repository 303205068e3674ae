/**
 * Everything a function's handler may be built from, by name. Each handler factory
 * (`functions/<name>/handler.ts`, `createHandler`) takes the few it uses (a `Pick` of these); its
 * composition root (`functions/<name>/index.ts`) builds them from its environment, and the local server
 * builds one set for every function it serves. Types only: nothing here is built.
 */
import type { RouteScopes } from './authorizer/route-scopes.ts';
import type { HttpSettings } from './config.ts';
import type { AdminStore, Clock, RequestStore, SweepStore } from './domain/model.ts';
import type { SetSigner, SsfQueue } from './domain/ssf-delivery.ts';
import type { TrustedTokens } from './domain/trusted-tokens.ts';
import type { EventSink } from './event-delivery/sinks.ts';
import type { ClientAuthentication } from './http/client-auth.ts';
import type { JwkSet } from './ssf/keys.ts';
import type { SsfDynamoStore } from './store/ssf.ts';
import type { DynamoTrustStore } from './store/trusted.ts';
import type { SubjectKeySource } from './subject-key.ts';

export interface Dependencies {
  /** `httpHandler`'s settings: Retry-After of a 503, the admin API's allow-list. */
  readonly http: HttpSettings;
  /** The request path's port on the tokens, grants and clients (token, introspection, revocation, ...). */
  readonly store: RequestStore;
  /** The admin routes' port: clients (with the idempotent create), cut-offs, listing. */
  readonly adminStore: AdminStore;
  /** The sweeper's port: the deletes of revoked tokens and the sweep records. */
  readonly sweepStore: SweepStore;
  readonly clock: Clock;
  /** Client authentication's cache and throttle (the OAuth routes). */
  readonly clientAuth: ClientAuthentication;
  /** [v3] The trusted issuers' verifier (their keys, their settings). */
  readonly trusted: TrustedTokens;
  /** [v3] The trusted issuers' items. */
  readonly trustStore: DynamoTrustStore;
  /** [v3] The SSF streams and SETs. */
  readonly ssfStore: SsfDynamoStore;
  /** [v3] The SSF deliverer's queue (SQS on AWS, in process locally). */
  readonly ssfQueue: SsfQueue;
  /** The configured RFC 8414 issuer (`ISSUER`); undefined: each request's own origin. */
  readonly issuer: string | undefined;
  /** [v3] The deployment's subject keyer, loaded on first use. */
  readonly subjectKeys: SubjectKeySource;
  /** [v3] Locally (not on Lambda): JWK Set URLs may be plain http to a loopback host. */
  readonly runsLocally: boolean;
  /** [v3] The public keys of the SETs' signing keys (KMS on AWS, the key directory locally). */
  readonly ssfKeys: () => Promise<JwkSet>;
  /** [v3] What signs SETs (the deliverer only). */
  readonly setSigner: SetSigner;
  /** [v3] The SETs' `iss`, asked per SET (`setIssuer`; locally known once the server listens). */
  readonly setIssuer: () => string;
  /** The authorizer's rules: which scopes a route needs. */
  readonly routeScopes: RouteScopes;
  /** Where the publisher sends events. */
  readonly events: EventDelivery;
}

/** Where the publisher sends each revocation event. */
export interface EventDelivery {
  /** The target (EventBridge on AWS, the webhook locally); undefined: the event is logged only. */
  readonly deliver: EventSink | undefined;
  /** AWS: where an event the bus did not take is kept whole (the on-failure queue). */
  readonly keep: EventSink | undefined;
  /** Locally: the directory where events wait for the webhook (retried until delivered). */
  readonly outboxDir: string | undefined;
  /** Sinks handed every event as it is produced, before the target (locally, the SSF transmitter's). */
  readonly sinks: readonly EventSink[];
  /** Whether events go to a bus: then their log line is debug, as the bus has them. */
  readonly onBus: boolean;
}
