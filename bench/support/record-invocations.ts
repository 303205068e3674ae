/**
 * Preloaded (`node --import`) into the local server the cost benchmark starts: appends one JSON line per
 * function invocation (the manifest function, start and end in epoch milliseconds) to the file named by
 * RECORD_INVOCATIONS. The local server and its stream readers run every invocation inside
 * `invocations.run` (an HTTP one from the request's arrival to its answer, a few tenths of a millisecond
 * more than the handler), so wrapping it times each function about as Lambda would bill it.
 */
import { appendFileSync } from 'node:fs';
import { invocations } from '#tools/local/invocations.ts';

export interface RecordedInvocation {
  readonly functionName: string;
  readonly start: number;
  readonly end: number;
}

const file = process.env.RECORD_INVOCATIONS;
const now = () => performance.timeOrigin + performance.now();

if (file) {
  const run = invocations.run.bind(invocations);
  invocations.run = <T>(store: { functionName: string }, callback: () => T): T => {
    const start = now();
    const result = run(store as Parameters<typeof run>[0], callback);
    // The HTTP server names the function only once it has matched the route: read the name at the end.
    const record = () => {
      const line: RecordedInvocation = { functionName: store.functionName, start, end: now() };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    };
    if (result instanceof Promise) result.then(record, record);
    else record();
    return result;
  };
}
