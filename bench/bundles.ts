/**
 * `npm run bench -- bundles`: every function bundled as the package ships it (bundling/handlers.ts), its
 * size against the goal and the limit, and the packages that make up the largest one (esbuild metafile).
 */

import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLE_GOAL_BYTES, BUNDLE_LIMIT_BYTES, buildHandlers } from '#bundling/handlers.ts';

/** Builds into a temporary folder (not dist/) and returns the Markdown section. */
export async function run(): Promise<string> {
  const bundles = (await buildHandlers(path.join(os.tmpdir(), 'token-revocation-bundles'))).sort(
    (a, b) => b.bytes - a.bytes,
  );
  const largest = bundles[0];
  const rows = bundles.map(
    (bundle) =>
      `| ${bundle.name} | ${bundle.bytes.toLocaleString('en-US')} | ${bundle.bytes <= BUNDLE_GOAL_BYTES ? 'yes' : 'no'} |`,
  );
  const parts = (largest?.byPackage ?? [])
    .slice(0, 12)
    .map(([name, bytes]) => `| ${name} | ${bytes.toLocaleString('en-US')} |`);
  return [
    '## Bundle sizes',
    '',
    `Each function minified as deployed (ESM, source map beside it, not counted). Goal: at most ${BUNDLE_GOAL_BYTES.toLocaleString('en-US')} bytes; the build fails above ${BUNDLE_LIMIT_BYTES.toLocaleString('en-US')} (plus an SSF function's allowance for its SQS and KMS clients, bundling/handlers.ts).`,
    '',
    '| Function | Bytes | Within goal |',
    '|---|---:|---|',
    ...rows,
    '',
    `Largest (${largest?.name}) by package:`,
    '',
    '| Package | Bytes |',
    '|---|---:|',
    ...parts,
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  console.log(await run());
}
