/**
 * Which function of the manifest the local server is running right now. On Lambda each function runs
 * alone in its process; locally all of them share one, so whatever needs to tell them apart (the log
 * lines' function name, the test suite's record of DynamoDB commands per function) asks here. It lives
 * with the logger, which reads it.
 */
export { type Invocation, invocations } from '#commons/observability.ts';
