/**
 * Logs, metrics and traces of every function: the one Powertools logger, metrics in CloudWatch embedded
 * metric format, an X-Ray tracer, and the middlewares that bind them to each invocation.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { getBooleanFromEnv, isRequestXRaySampled } from '@aws-lambda-powertools/commons/utils/env';
import { InvocationScoped } from '@aws-lambda-powertools/commons/utils/invocation-scoped';
import { LogFormatter, Logger, LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EmfOutput, MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type middy from '@middy/core';
import { KEYS_UNAVAILABLE_MESSAGE } from './domain/errors.ts';

const SERVICE = 'token-revocation';

/**
 * Where API Gateway's HTTP API puts its request id: Powertools' `correlationPaths.API_GATEWAY_HTTP`.
 * Spelled out because `@aws-lambda-powertools/logger/correlationId` brings a whole JMESPath engine
 * (23 KiB per bundle) to follow two property names.
 */
export const API_GATEWAY_HTTP_REQUEST_ID = 'requestContext.requestId';

/**
 * The logger's correlation id search: a dotted path of plain property names, the only form this service
 * uses; anything else finds nothing.
 */
export function searchPath(expression: string, data: unknown): unknown {
  let value = data;
  for (const name of expression.split('.')) {
    if (!/^\w+$/.test(name) || typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/**
 * Substrings that have the shape of a credential: the service's own tokens (`rvk_at_`, `rvk_rt_`, whole
 * or cut), a JWT (base64url parts joined by dots, the first a JSON object), and any run of 40 or more
 * base64 characters mixing upper case, lower case and digits, as random secrets do (client secrets and
 * token hashes are 43; a Basic header's credentials are longer). Request ids (36), X-Ray trace ids (35),
 * grant ids and subject keys (22) and token id prefixes (8) are shorter; names and ARNs rarely mix all
 * three in 40 characters without a `/` or `:`.
 */
const TOKEN_SHAPE = /rvk_(?:at|rt)_[^\s"'\\]*/gi;
const JWT_SHAPE = /eyJ[\w-]*\.[\w-]*(?:\.[\w-]*)?/g;
const RANDOM_RUN = /[A-Za-z0-9_+=-]{40,}/g;
/** Keys whose values are the service's own hashes (event and token ids), never a caller's input. */
const OWN_ID_KEY = /"(?:id|tokenId|revocationId)":"$/;
const isRandom = (run: string) => /[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run);

/** A value with every secret-shaped part replaced by `[redacted]`. */
export function redactSecrets(value: string): string {
  return value
    .replace(TOKEN_SHAPE, '[redacted]')
    .replace(JWT_SHAPE, '[redacted]')
    .replace(RANDOM_RUN, (run, offset: number, whole: string) =>
      // Event ids and token ids are the service's own 43-character hashes.
      isRandom(run) && !OWN_ID_KEY.test(whole.slice(Math.max(0, offset - 16), offset)) ? '[redacted]' : run,
    );
}

/** Whether a value holds anything shaped like a token, a JWT or a secret. */
export function isSecretShaped(value: string): boolean {
  return redactSecrets(value) !== value;
}

/** A short, non-reversible handle of a value that may not be logged as it is: `#` and 10 characters. */
export function shortHash(value: string): string {
  return `#${createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 10)}`;
}

/** What a client id, a principal or a path parameter looks like: printable, no spaces, at most 128. */
const ID_SYNTAX = /^[\w.:@/+=,-]{1,128}$/;

/**
 * A caller-supplied identifier (claimed client id, path parameter, hint) as a log line may carry it: as
 * it is when it has an identifier's syntax and no secret's shape, otherwise its short hash, so a token
 * or a secret sent in the wrong field never reaches the log while equal values still join.
 */
export function loggableId(value: string): string {
  return ID_SYNTAX.test(value) && !isSecretShaped(value) ? value : shortHash(value);
}

/**
 * Which manifest function runs right now, when several share one process (the local server, and the
 * test suite's in-process invocations). On Lambda each function runs alone in its process and nobody
 * sets it; locally the logger's one Lambda context is overwritten by whichever invocation began last, so
 * the background sweeper's lines would carry the name of the last HTTP route.
 */
export interface Invocation {
  /** The manifest's name (`sweeper`); empty while the local server answers a request itself. */
  functionName: string;
  requestId?: string;
  /** The API Gateway request id, on HTTP invocations only. */
  correlationId?: string;
  /** Locally, the request being answered: for the human output. */
  method?: string;
  path?: string;
  startedAt?: number;
}
export const invocations = new AsyncLocalStorage<Invocation>();

/** One count or measure an invocation recorded, with the dimensions it is published by. */
export interface RecordedMetric {
  name: string;
  unit: Unit;
  value: number;
  dimensions: Record<string, string>;
}

/**
 * What an invocation has recorded for the lines it writes when it ends: the revocations its request line
 * carries as `audit`, and the metrics of its one embedded-metric blob.
 */
interface InvocationRecord {
  /** An HTTP invocation's request line is to come: revocations wait for it instead of a line of their own. */
  requestLine: boolean;
  audits: LogAttributes[];
  metrics: RecordedMetric[];
}

/**
 * Per invocation where one execution environment serves several at once (Lambda's multi-concurrency,
 * and the local server, which plays that runtime: tools/local/invocations.ts), shared otherwise and
 * started afresh by `observe()` at each invocation.
 */
const recorded = new InvocationScoped<InvocationRecord>('token-revocation.invocation', {
  fresh: () => ({ requestLine: false, audits: [], metrics: [] }),
});

/**
 * The lean record: level, message, request ids, the X-Ray trace id of a sampled request, the cold start
 * only when it is one, then the line's own keys. Powertools' default adds the time, the service name, the
 * function's name, ARN and memory size, the sampling rate and an unsampled trace id to every line, about
 * 290 bytes that CloudWatch Logs records anyway (each event's own timestamp, the log group) or that lead
 * nowhere (X-Ray keeps sampled traces only). The time and the function's name are written locally only,
 * where every function shares one process and one output, and nothing else stamps a line.
 */
class LeanLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const local = invocations.getStore();
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      ...(local && { timestamp: this.formatTimestamp(attributes.timestamp) }),
      ...(context?.coldStart && { cold_start: true }),
      // Locally named as the local server names its Lambda contexts.
      // None on what the local server answers itself: no function ran.
      ...(local?.functionName && { function_name: `local-${local.functionName}` }),
      function_request_id: local ? local.requestId : context?.awsRequestId,
      ...(attributes.xRayTraceId !== undefined &&
        isRequestXRaySampled() && { xray_trace_id: attributes.xRayTraceId }),
    };
    const extra = { ...additional };
    // Locally the correlation id of the last HTTP invocation would leak onto a background line.
    if (local) {
      if (local.correlationId === undefined) delete extra.correlation_id;
      else extra.correlation_id = local.correlationId;
    }
    return new LogItem({ attributes: base }).addAttributes(extra);
  }
}

/**
 * Where a log record goes instead of stdout as JSON: the local server's human output. Given the record
 * (already redacted) and its level; undefined keeps the JSON lines, as on Lambda.
 */
export type LogSink = (record: Record<string, unknown>, level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR') => void;
let sink: LogSink | undefined;

/** Sends every log record to `next` instead of stdout (undefined: back to JSON lines). */
export function setLogSink(next: LogSink | undefined): void {
  sink = next;
}

const levelName = (level: number) =>
  level >= LogLevelThreshold.ERROR
    ? 'ERROR'
    : level >= LogLevelThreshold.WARN
      ? 'WARN'
      : level >= LogLevelThreshold.INFO
        ? 'INFO'
        : 'DEBUG';

/**
 * The Powertools logger with a last line of defence: every string of every record is redacted of
 * secret-shaped values before it is written, whatever a caller put in it, and the record goes to the
 * local human output when one is set.
 */
class ServiceLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    // On the serialized line, so keys, nested values and formatted errors are all covered; no pattern
    // crosses a JSON string's quotes, so the line stays valid JSON.
    const line = redactSecrets(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
    if (sink) {
      sink(JSON.parse(line) as Record<string, unknown>, levelName(logLevel));
      return;
    }
    (logLevel >= LogLevelThreshold.WARN ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

/** The one logger. Nothing may pass it a raw token, a secret or an Authorization header. */
export const logger = new ServiceLogger({
  serviceName: SERVICE,
  correlationIdSearchFn: searchPath,
  logFormatter: new LeanLogFormatter(),
});

/**
 * Powertools metrics that publish an invocation's recorded metrics as one embedded-metric blob: one
 * directive per dimension set, all in one JSON line. Powertools' own blob has one dimension set for all
 * of its metrics, so metrics by different dimensions (`Revocations` by kind and route, `ColdStart` by
 * function) took one blob each, about 250 bytes apiece.
 */
class ServiceMetrics extends Metrics {
  /** Whether this is the execution environment's first invocation; true once only. */
  firstInvocation(): boolean {
    return this.getColdStart();
  }

  /** Writes `recorded` as few blobs as their dimension values allow (one, unless two values of one dimension meet). */
  publishRecorded(recorded: readonly RecordedMetric[]): void {
    if (recorded.length === 0 || this.switchedOff()) return;
    for (const blob of blobsOf(recorded)) {
      const parts = [...blob.values()].map((group) => this.serializeGroup(group));
      const [first] = parts;
      if (!first) continue;
      const merged: EmfOutput = Object.assign({}, ...parts, {
        _aws: { ...first._aws, CloudWatchMetrics: parts.flatMap((part) => part._aws.CloudWatchMetrics) },
      });
      process.stdout.write(`${JSON.stringify(merged)}\n`);
    }
  }

  /**
   * Powertools' switch, read when publishing rather than once when this instance was made: the local
   * server sets it after its own imports have made this instance (tools/local/start.ts, configureOutput).
   * The one environment read left in commons: the logger, metrics and tracer are Powertools' per-process
   * instances, configured by Powertools' own variables (POWERTOOLS_*), which Powertools reads itself.
   */
  private switchedOff(): boolean {
    if (process.env.POWERTOOLS_METRICS_DISABLED === undefined) return this.isDisabled();
    return getBooleanFromEnv({
      key: 'POWERTOOLS_METRICS_DISABLED',
      defaultValue: false,
      extendedParsing: true,
    });
  }

  /** One directive (namespace, dimension set, metrics) and its values, through Powertools' own checks. */
  private serializeGroup(group: readonly RecordedMetric[]): EmfOutput {
    for (const [name, value] of Object.entries(group[0]?.dimensions ?? {})) this.addDimension(name, value);
    for (const metric of group) this.addMetric(metric.name, metric.unit, metric.value);
    const output = this.serializeMetrics();
    this.clearMetrics();
    this.clearDimensions();
    return output;
  }
}

/**
 * Recorded metrics in blobs: each blob a map from a dimension set (its names and values) to its metrics.
 * An EMF blob holds one value per dimension name, so a metric whose dimension value differs from one
 * already in a blob goes to the next blob.
 */
function blobsOf(recorded: readonly RecordedMetric[]): Map<string, RecordedMetric[]>[] {
  const blobs: { values: Map<string, string>; groups: Map<string, RecordedMetric[]> }[] = [];
  for (const metric of recorded) {
    const dimensions = Object.entries(metric.dimensions).sort(([a], [b]) => a.localeCompare(b));
    const key = JSON.stringify(dimensions);
    const fits = (blob: (typeof blobs)[number]) =>
      dimensions.every(([name, value]) => (blob.values.get(name) ?? value) === value) &&
      // A metric name is one top-level value: under one dimension set per blob.
      [...blob.groups].every(([other, group]) => other === key || group.every((m) => m.name !== metric.name));
    let blob = blobs.find(fits);
    if (!blob) {
      blob = { values: new Map(), groups: new Map() };
      blobs.push(blob);
    }
    for (const [name, value] of dimensions) blob.values.set(name, value);
    blob.groups.set(key, [...(blob.groups.get(key) ?? []), metric]);
  }
  return blobs.map((blob) => blob.groups);
}

/** Metrics of the service, written to the function's log in embedded metric format. */
export const metrics = new ServiceMetrics({ namespace: 'TokenRevocation', serviceName: SERVICE });

/** Records a metric for the invocation's one blob, published when the invocation ends (`observe()`). */
function record(name: string, unit: Unit, value: number, dimensions: Record<string, string>): void {
  recorded.get().metrics.push({ name, unit, value, dimensions });
}

/**
 * Files a revocation's audit fields under the invocation's request line (`audit`), or, where no request
 * line is to come, writes them on a line of their own.
 */
export function recordAudit(audit: LogAttributes): void {
  const invocation = recorded.get();
  if (invocation.requestLine) invocation.audits.push(audit);
  else logger.info('token revoked', { audit });
}

/** Says that this invocation ends with a request line, which will carry its revocations' audit fields. */
export function expectRequestLine(): void {
  recorded.get().requestLine = true;
}

/** The audit fields recorded for the request line, taken: each is written once. */
export function takeAudits(): LogAttributes[] {
  const invocation = recorded.get();
  const audits = invocation.audits;
  invocation.audits = [];
  invocation.requestLine = false;
  return audits;
}

/**
 * X-Ray tracer. It switches itself off outside Lambda (no `AWS_EXECUTION_ENV`) and under
 * `POWERTOOLS_TRACE_ENABLED=false`, and then also tells the X-Ray SDK not to complain about a missing
 * segment, so the local server and the tests run without tracing and without its warnings.
 *
 * `captureHTTPsRequests: false`: the functions make no HTTP calls but the DynamoDB client's, which the
 * client's own subsegments record (the X-Ray SDK's http patcher skips them anyway, as they carry a trace
 * header). Patching `http`, `https` and `fetch` would only cost init time, and the bundles leave that
 * patcher out (bundling/xray-sdk-core.ts).
 */
export const tracer = new Tracer({ serviceName: SERVICE, captureHTTPsRequests: false });

/**
 * Records the SDK calls of a DynamoDB client as X-Ray subsegments (operation, table, latency, retries;
 * X-Ray's own allow-list keeps item keys and values out). The client itself when tracing is off.
 */
export function traceDynamoClient<T>(client: T): T {
  return tracer.isTracingEnabled() ? tracer.captureAWSv3Client(client) : client;
}

// biome-ignore lint/suspicious/noExplicitAny: the middlewares work on any event and result.
type Middleware = middy.MiddlewareObj<any, any, Error, any>;

/**
 * The middlewares every HTTP handler runs first (so their `after`/`onError` run last): log lines carry
 * the Lambda context and the API Gateway request id as `correlation_id`; metrics stored during the
 * invocation are flushed, plus a `ColdStart` metric once per execution environment; the handler runs in
 * its own X-Ray subsegment, its response never recorded.
 *
 * @param functionName - The function's handler folder (`revoke`): the `function_name` dimension of the
 *   `ColdStart` metric, the same in every stack (Lambda's own names carry a generated suffix).
 */
export function observe(functionName: string): Middleware[] {
  const context = injectLambdaContext(logger, {
    correlationIdPath: API_GATEWAY_HTTP_REQUEST_ID,
    // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it holds the Authorization header,
    // tokens and client secrets.
    logEvent: false,
  });

  // Not Powertools' logMetrics(): its flush warns "No application metrics to publish" on stderr whenever
  // an invocation stored none (most requests), and its cold-start metric is a blob of its own, dimensioned
  // by Lambda's generated function name. This writes one blob, only when something was recorded, with the
  // cold start in it, named by handler.
  const afterResponse = (request: middy.Request) => {
    countOutcome(request.event as { routeKey?: string }, request.response as HttpOutcome | undefined);
    const invocation = recorded.get();
    metrics.publishRecorded(invocation.metrics);
    invocation.metrics = [];
  };
  const metricsMiddleware: Middleware = {
    before: () => {
      recorded.reset();
      if (metrics.firstInvocation())
        record('ColdStart', MetricUnit.Count, 1, { function_name: functionName });
    },
    after: afterResponse,
    onError: afterResponse,
  };

  // Responses hold tokens (token endpoint, admin mint) and introspection data: never trace them.
  const trace = captureLambdaHandler(tracer, { captureResponse: false });
  const traceMiddleware: Middleware = {
    before: (request) => trace.before?.(request),
    after: (request) => trace.after?.(request),
    onError: (request) => {
      // By now the HTTP layer has answered the error. A 4xx is the caller's mistake: X-Ray's error flag,
      // not a fault with the exception attached, or every bad request would show as a fault.
      const status = (request.response as { statusCode?: number } | undefined)?.statusCode ?? 500;
      if (status >= 500) return trace.onError?.(request);
      if (tracer.isTracingEnabled()) tracer.getSegment()?.addErrorFlag();
      return trace.after?.(request);
    },
  };

  return [context, metricsMiddleware, traceMiddleware];
}

/** The parts of an API Gateway payload 2.0 result that tell what happened. */
interface HttpOutcome {
  statusCode?: number;
  body?: string;
}

/**
 * Counts the outcomes the contract defines by their answer, whichever code path produced them: 503 is
 * the store being unavailable, 401 `invalid_client` a failed client authentication (RFC 6749 5.2).
 */
function countOutcome(event: { routeKey?: string }, response: HttpOutcome | undefined): void {
  const route = event.routeKey;
  if (!route || !response) return;
  if (response.statusCode === 503) {
    if (errorDescription(response.body) === KEYS_UNAVAILABLE_MESSAGE) countKeysUnavailable(route);
    else countStoreUnavailable(route);
  } else if (response.statusCode === 401 && errorCode(response.body) === 'invalid_client') {
    countFailedClientAuthentication(route);
  }
}

function errorDescription(body: string | undefined): unknown {
  try {
    return (JSON.parse(body ?? '') as { error_description?: unknown }).error_description;
  } catch {
    return undefined;
  }
}

function errorCode(body: string | undefined): unknown {
  try {
    return (JSON.parse(body ?? '') as { error?: unknown }).error;
  } catch {
    return undefined;
  }
}

/** Adds one count to a metric, for the invocation's blob. */
function count(name: string, dimensions: Record<string, string>): void {
  record(name, MetricUnit.Count, 1, dimensions);
}

/**
 * Counts revocations (`Revocations`, dimensions `kind` and `route`).
 *
 * @param kind - The revocation's event type (`token.revoked`, `grant.revoked`, `refresh_token.reuse_detected`...).
 * @param route - Route key the revocation came through (`POST /oauth2/revoke`).
 */
export function countRevocation(kind: string, route: string): void {
  count('Revocations', { kind, route });
}

/** Counts a failed OAuth client authentication (`FailedClientAuthentications`, dimension `route`). */
export function countFailedClientAuthentication(route: string): void {
  count('FailedClientAuthentications', { route });
}

/** Counts a request answered 503 because DynamoDB was unavailable (`StoreUnavailable`, dimension `route`). */
export function countStoreUnavailable(route: string): void {
  count('StoreUnavailable', { route });
}

/**
 * [v3] Counts a request a trusted issuer's keys could not be had for (`TrustedIssuerKeysUnavailable`,
 * dimension `route`: an OAuth route, or `authorizer`, which denies).
 */
export function countKeysUnavailable(route: string): void {
  count('TrustedIssuerKeysUnavailable', { route });
}

/**
 * A finished sweep: `SweptTokens` (tokens deleted) and `SweepLag` (milliseconds from the revocation to
 * the sweep's end), dimension `kind` (the revocation's event type).
 */
export function countSweep(kind: string, count: number, lagMs: number): void {
  record('SweptTokens', MetricUnit.Count, count, { kind });
  record('SweepLag', MetricUnit.Milliseconds, lagMs, { kind });
}

/**
 * Counts a published revocation event (`EventsPublished`). The batch's counts leave in the invocation's
 * one embedded-metric blob, not one per event (log bytes).
 */
export function countEventPublished(): void {
  record('EventsPublished', MetricUnit.Count, 1, {});
}
