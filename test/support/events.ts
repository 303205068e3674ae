/**
 * The revocation events the local server delivered during the run: the global setup's webhook (the
 * events collector) appends each POST it receives to `<runDir>/events.jsonl` with its receive time; the
 * tests read that file, and every event in it is checked against docs/events.schema.json.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import type { EventEnvelope } from '#commons/event-delivery/eventbridge.ts';

/** One POST the collector received. */
export interface ReceivedEvent {
  /** Epoch milliseconds at which the collector had the whole body. */
  readonly receivedAt: number;
  readonly envelope: EventEnvelope;
}

/** Where the collector of a run writes the events it receives. */
export const eventsFile = (runDir: string) => join(runDir, 'events.jsonl');

const SCHEMA_FILE = new URL('../../docs/events.schema.json', import.meta.url);

/** A validator of docs/events.schema.json: undefined for a valid event, else ajv's errors as one line. */
export function eventValidator(): (event: unknown) => string | undefined {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
  const describe = (errors: ErrorObject[] | null | undefined) =>
    (errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`).join('; ');
  return (event) => (validate(event) ? undefined : describe(validate.errors));
}

/**
 * The events collector: a webhook that records each JSON body it is POSTed, with its receive time, one
 * line each in `file`, and answers 204 (a non-2xx would make the publisher retry). Anything that is not
 * a JSON POST gets a 400 and is recorded as an unparseable line, so the schema check fails on it.
 */
export async function startEventsCollector(file: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const receivedAt = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      let envelope: unknown;
      try {
        envelope = request.method === 'POST' ? JSON.parse(body) : undefined;
      } catch {
        envelope = undefined;
      }
      appendFileSync(
        file,
        `${JSON.stringify({ receivedAt, envelope: envelope ?? { unparseable: body } })}\n`,
      );
      response.writeHead(envelope === undefined ? 400 : 204);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, server };
}

/** Every event received so far. */
export function receivedEvents(file: string): ReceivedEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ReceivedEvent);
}

/**
 * The events received that match, once `done` holds for them (by default: there is at least one). Polls
 * the collector's file until then; throws after `timeoutMs` saying how many had matched.
 */
export async function waitForEvents(
  file: string,
  matches: (event: ReceivedEvent) => boolean,
  options: { done?: (matching: ReceivedEvent[]) => boolean; timeoutMs?: number } = {},
): Promise<ReceivedEvent[]> {
  const done = options.done ?? ((matching) => matching.length > 0);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const matching = receivedEvents(file).filter(matches);
    if (done(matching)) return matching;
    if (Date.now() > deadline) {
      throw new Error(`the expected events never reached the collector (${matching.length} matched)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An event's detail, typed loosely for assertions. */
export const detailOf = (event: ReceivedEvent) => event.envelope.detail as unknown as Record<string, unknown>;

/**
 * Checks every event in the collector's file against the schema; returns one line per invalid event
 * (empty when all are valid) so the caller can fail the run with them.
 */
export function invalidEvents(file: string): string[] {
  const validate = eventValidator();
  return receivedEvents(file).flatMap(({ envelope }, index) => {
    const why = validate(envelope);
    return why === undefined
      ? []
      : [`event ${index + 1} (${String(envelope?.['detail-type'])} ${String(envelope?.detail?.id)}): ${why}`];
  });
}
