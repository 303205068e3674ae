/**
 * `npm run bench`: runs every benchmark in one process, one after another, prints the results and writes
 * them to docs/BENCHMARKS.md with the command and the machine that produced them.
 */

import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { run as bundles } from './bundles.ts';
import { run as coldStart } from './cold-start.ts';
import { run as eventLatency } from './event-latency.ts';
import { run as revocation } from './revocation.ts';
import { run as revocationScale } from './revocation-scale.ts';
import { run as trusted } from './trusted.ts';

// The machine may be shared: its load before and after says how far to trust absolute times.
const loadBefore = loadavg()[0] ?? 0;
// `npm run bench -- bundles`: only the bundle sizes (seconds, no DynamoDB Local), printed, docs untouched.
if (process.argv[2] === 'bundles') {
  console.log(await bundles());
  process.exit(0);
}
// `npm run bench -- log-bytes`: the log bytes each request writes as on Lambda, printed, docs untouched.
if (process.argv[2] === 'log-bytes') {
  console.log(await (await import('./log-bytes.ts')).run());
  process.exit(0);
}
const started = performance.now();
const sections: string[] = [];
for (const [name, bench] of [
  ['revocation', revocation],
  ['revocation at scale', revocationScale],
  ['event latency', eventLatency],
  ['trusted issuers', trusted],
  ['cold start', coldStart],
  ['log bytes', async () => (await import('./log-bytes.ts')).run()],
  ['bundle sizes', bundles],
] as const) {
  console.error(`running ${name} benchmark...`);
  sections.push(await bench());
}
const minutes = (performance.now() - started) / 60_000;
const header = `# Benchmarks

Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${minutes.toFixed(1)} minutes; 1-minute load average ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end.
Every ratio compares two variants measured side by side in the same run.
`;
const report = [header, ...sections].join('\n');
writeFileSync(new URL('../docs/BENCHMARKS.md', import.meta.url), report);
console.log(report);
