/**
 * `npm run bench`: runs every benchmark in one process, one after another, prints the results and writes
 * them to docs/BENCHMARKS.md with the command and the machine that produced them.
 */

import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { run as coldStart } from './cold-start.ts';
import { run as revocation } from './revocation.ts';

const sections: string[] = [];
for (const [name, bench] of [
  ['revocation', revocation],
  ['cold start', coldStart],
] as const) {
  console.error(`running ${name} benchmark...`);
  sections.push(await bench());
}
const header = `# Benchmarks

Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}.
Every ratio compares two variants measured side by side in the same run.
`;
const report = [header, ...sections].join('\n');
writeFileSync(new URL('../docs/BENCHMARKS.md', import.meta.url), report);
console.log(report);
