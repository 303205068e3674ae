/**
 * Preloaded (`node --import`) into the local server the cost benchmark starts: appends one JSON line per
 * function invocation (the manifest function, start and end in epoch milliseconds) to the file named by
 * RECORD_INVOCATIONS. The local server and its stream readers run every handler inside
 * `invocations.run`, so wrapping it times each handler as Lambda would bill it, without the HTTP layer.
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
  invocations.run = ((
    store: { functionName: string },
    callback: (...args: unknown[]) => unknown,
    ...args: unknown[]
  ) => {
    const start = now();
    const result = run(store, callback, ...args);
    const record = () => {
      const line: RecordedInvocation = { functionName: store.functionName, start, end: now() };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    };
    if (result instanceof Promise) result.then(record, record);
    else record();
    return result;
  }) as typeof invocations.run;
}
