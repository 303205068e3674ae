import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which function of the manifest the local server is running right now. On Lambda each function runs
 * alone in its process; locally all of them share one, so whatever needs to tell them apart (the test
 * suite's record of DynamoDB commands per function) asks here.
 */
export const invocations = new AsyncLocalStorage<{ readonly functionName: string }>();
