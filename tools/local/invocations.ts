import { InvokeStore, type InvokeStoreBase } from '@aws/lambda-invoke-store';
import { invocations as current, type Invocation } from '#commons/observability.ts';

export type { Invocation };

let lambdaStore: InvokeStoreBase | undefined;

/**
 * Local invocations of the manifest's functions. On Lambda each function runs alone in its process;
 * locally all of them share one, concurrently. Whatever needs to tell them apart (the test suite's record
 * of DynamoDB commands per function) asks `getStore()`; and once `scopeLambdaContexts()` has run, each
 * invocation also gets its own Powertools context, as on Lambda: without it the one shared logger carried
 * the Lambda context last injected, so a sweeper's line could say it came from `local-introspect`.
 */
export const invocations = {
  // The logger reads the same store (commons/observability.ts) for each line's function name and the
  // human output's request.
  getStore: (): Invocation | undefined => current.getStore(),
  run<T>(invocation: Invocation, fn: () => T): T {
    const inner = () => current.run(invocation, fn);
    return lambdaStore ? lambdaStore.run({}, inner) : inner();
  },
};

/**
 * Makes Powertools keep its per-invocation state (the logger's Lambda context and correlation id, the
 * metrics of the invocation) apart for concurrent invocations, as Lambda's runtime does when one execution
 * environment serves several at once: the runtime sets `AWS_LAMBDA_MAX_CONCURRENCY` and provides the
 * InvokeStore that Powertools reads them from. The local server plays that runtime, so it does both.
 */
export async function scopeLambdaContexts(): Promise<void> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
  // Before any AWS SDK call: the SDK's recursion detection asks for the InvokeStore on its first request,
  // and the store it makes then (one context for the whole process, as without the variable) is kept.
  lambdaStore = await InvokeStore.getInstanceAsync(true);
  if (!('als' in lambdaStore)) throw new Error('the InvokeStore was made before the local server scoped it');
}

/**
 * Runs the server's own work (loading the handlers, the stream readers' polling, accepting requests) in
 * one context of its own, as Lambda runs a function's init phase: Powertools keeps state from module load
 * (a batch processor's) in the current context, and refuses to outside one.
 */
export function initPhase<T>(fn: () => Promise<T>): Promise<T> {
  return lambdaStore ? lambdaStore.run({}, fn) : fn();
}
