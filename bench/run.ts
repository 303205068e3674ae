/**
 * `npm run bench`: runs every benchmark in one process, one after another, prints the results and writes
 * them to docs/BENCHMARKS.md with the command and the machine that produced them.
 *
 * `npm run bench -- bundles`: only the bundle sizes (seconds, no DynamoDB Local), printed, docs untouched.
 * `npm run bench -- peer`: only the comparison with node-oidc-provider (bench/peer.ts), whose section of
 * docs/BENCHMARKS.md it replaces. `npm run bench -- cost`: docs/COST.md (bench/cost.ts).
 * `npm run bench -- ssf`: only the Shared Signals figures (bench/ssf.ts), whose section it replaces.
 * `npm run bench -- log-bytes`: only the log bytes per request as on Lambda (bench/log-bytes.ts), whose
 * section of docs/BENCHMARKS.md it replaces.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { replaceSection, sectionOf } from './support/markdown.ts';

// Each benchmark is loaded when it runs: loading one loads the functions' modules, and with them the
// per-process Powertools instances, which read the Lambda-shaped environment the log-bytes benchmark sets
// (a cold start counts only with AWS_LAMBDA_INITIALIZATION_TYPE=on-demand) when they are made.
const bundles = async () => (await import('./bundles.ts')).run();
const coldStart = async () => (await import('./cold-start.ts')).run();
const cost = async () => (await import('./cost.ts')).run();
const eventLatency = async () => (await import('./event-latency.ts')).run();
const peer = async () => (await import('./peer.ts')).run();
const revocation = async () => (await import('./revocation.ts')).run();
const revocationScale = async () => (await import('./revocation-scale.ts')).run();
const ssf = async () => (await import('./ssf.ts')).run();
const trusted = async () => (await import('./trusted.ts')).run();

const BENCHMARKS = new URL('../docs/BENCHMARKS.md', import.meta.url);
const PEER_HEADING = '## Against node-oidc-provider';
const TRUSTED_HEADING = '## Trusted issuers';
const LOG_BYTES_HEADING = '## Log bytes per request';
const logBytes = async () => (await import('./log-bytes.ts')).run();

const command = process.argv[2];
if (command === 'bundles') {
  console.log(await bundles());
} else if (command === 'peer') {
  const section = await peer();
  writeFileSync(BENCHMARKS, replaceSection(readFileSync(BENCHMARKS, 'utf8'), PEER_HEADING, section));
  console.log(section);
} else if (command === 'ssf') {
  const { SSF_HEADING, run } = await import('./ssf.ts');
  const section = await run();
  writeFileSync(BENCHMARKS, replaceSection(readFileSync(BENCHMARKS, 'utf8'), SSF_HEADING, section));
  console.log(section);
} else if (command === 'trusted') {
  // One section on its own (the whole run takes many minutes): spliced into docs/BENCHMARKS.md.
  const section = await trusted();
  writeFileSync(BENCHMARKS, replaceSection(readFileSync(BENCHMARKS, 'utf8'), TRUSTED_HEADING, section));
  console.log(section);
} else if (command === 'log-bytes') {
  const section = await logBytes();
  writeFileSync(BENCHMARKS, replaceSection(readFileSync(BENCHMARKS, 'utf8'), LOG_BYTES_HEADING, section));
  console.log(section);
} else if (command === 'cost') {
  const doc = await cost();
  writeFileSync(new URL('../docs/COST.md', import.meta.url), doc);
  console.log(doc);
} else if (command !== undefined) {
  console.error(
    `unknown benchmark ${JSON.stringify(command)}: none (all but peer and cost), bundles, trusted, log-bytes, peer, ssf or cost`,
  );
  process.exit(2);
} else {
  // The machine may be shared: its load before and after says how far to trust absolute times.
  const loadBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  const sections: string[] = [];
  // First, while this process has run no handler: its first request is the cold start it measures.
  console.error('running log bytes benchmark...');
  const logBytesSection = await logBytes();
  for (const [name, bench] of [
    ['revocation', revocation],
    ['revocation at scale', revocationScale],
    ['event latency', eventLatency],
    ['revocation to SET', ssf],
    ['trusted issuers', trusted],
    ['cold start', coldStart],
    ['log bytes', async () => logBytesSection],
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
  // The peer comparison has its own command (it takes minutes); its last result stays in the file.
  const previousPeer = sectionOf(readFileSync(BENCHMARKS, 'utf8'), PEER_HEADING);
  const report = [header, ...sections, ...(previousPeer ? [previousPeer] : [])].join('\n');
  writeFileSync(BENCHMARKS, report);
  console.log(report);
}
