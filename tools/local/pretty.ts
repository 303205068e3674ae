/**
 * `npm start`'s output for people (contract, "Local output is for people"): one short line per request,
 * event, sweep and warning, in place of the JSON records the functions write on Lambda. `LOG_FORMAT=json`
 * keeps the JSON lines.
 */
import { type Invocation, invocations, isSecretShaped, type LogSink } from '#commons/observability.ts';

/** Keys every record has; a warning's line shows the others. */
const BASE_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_name',
  'function_request_id',
  'correlation_id',
  'xray_trace_id',
]);

const time = (record: Record<string, unknown>) => {
  const at = new Date(String(record.timestamp ?? ''));
  return Number.isNaN(at.getTime()) ? new Date().toISOString().slice(11, 19) : at.toISOString().slice(11, 19);
};

/**
 * A request path as a person may see it: no query string, and every segment that holds anything shaped
 * like a token or a secret (admin token routes take the token in the path) elided as `…`.
 */
export function displayPath(target: string): string {
  const path = target.split('?')[0] ?? '/';
  return path
    .split('/')
    .map((segment) => {
      let decoded = segment;
      try {
        decoded = decodeURIComponent(segment);
      } catch {}
      return isSecretShaped(decoded) || isSecretShaped(segment) ? '…' : segment;
    })
    .join('/');
}

const compact = (record: Record<string, unknown>) =>
  Object.entries(record)
    .filter(([key]) => !BASE_KEYS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');

/**
 * The human line of one log record, or undefined for the records a person does not need (audit lines,
 * authorizer decisions, debug detail: all still in `LOG_FORMAT=json`).
 */
export function humanLine(
  record: Record<string, unknown>,
  level: string,
  invocation: Invocation | undefined,
): string | undefined {
  const at = time(record);
  if (record.message === 'request') {
    const [method, path] = invocation?.method
      ? [invocation.method, displayPath(invocation.path ?? '/')]
      : String(record.route ?? '').split(' ');
    const ms =
      typeof record.durationMs === 'number'
        ? record.durationMs
        : invocation?.startedAt !== undefined
          ? Math.round(performance.now() - invocation.startedAt)
          : undefined;
    const who = record.clientId ?? record.principal;
    return [
      at,
      method,
      path,
      record.status,
      ms === undefined ? undefined : `${ms} ms`,
      who,
      record.reason === undefined ? undefined : `(${record.reason})`,
    ]
      .filter((part) => part !== undefined && part !== '')
      .join(' ');
  }
  if (record.message === 'revocation event') {
    const event = record.event as { 'detail-type'?: string; detail?: Record<string, unknown> } | undefined;
    const detail = event?.detail ?? {};
    const about = ['clientId', 'grantId', 'subject']
      .filter((key) => detail[key] !== undefined)
      .map((key) => `${key}=${String(detail[key])}`);
    return [at, 'event', event?.['detail-type'], ...about].join(' ');
  }
  if (record.message === 'sweep completed') {
    const sweep = (record.sweep ?? {}) as Record<string, unknown>;
    return `${at} sweep ${String(sweep.of)}: ${String(sweep.count)} tokens deleted in ${String(sweep.durationMs)} ms`;
  }
  if (level === 'WARN' || level === 'ERROR')
    return `${at} ${level} ${String(record.message)} ${compact(record)}`.trim();
  return undefined;
}

/** The log sink of `npm start` without `LOG_FORMAT=json`: human lines on stdout, warnings on stderr. */
export function humanSink(write: (line: string, level: string) => void = defaultWrite): LogSink {
  return (record, level) => {
    const line = humanLine(record, level, invocations.getStore());
    if (line !== undefined) write(line, level);
  };
}

function defaultWrite(line: string, level: string): void {
  (level === 'WARN' || level === 'ERROR' ? process.stderr : process.stdout).write(`${line}\n`);
}
