#!/usr/bin/env node
/** `npm start`: the whole service on http://localhost:3000 (see tools/local/start.ts). */

// Before anything loads Powertools, which reads its switches as it builds the metrics: locally the
// embedded-metric blobs are printed only when asked for (tools/local/start.ts, configureOutput).
if (process.env.LOG_FORMAT !== 'json' && process.env.PRINT_METRICS !== 'on') {
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
}
// Before anything loads the X-Ray SDK: outside Lambda the tracer is off, so the SDK's automatic mode would
// only keep an async hook over every promise (cls-hooked) for a context nothing reads, about a seventh of
// the server's CPU per request (measured with `npm run bench -- peer`'s routes). On Lambda, where active
// tracing reads that context, the functions keep automatic mode.
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
const { HelpRequested, main } = await import('#tools/local/start.ts');

main().catch((error: unknown) => {
  if (error instanceof HelpRequested) {
    console.log(error.message);
    process.exit(0);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
