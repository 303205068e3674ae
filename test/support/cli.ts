/**
 * The admin CLI run as users run it (`bin/admin.ts` in its own process), for the e2e tests of its commands.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { recordSecrets } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment without anything that would pick a target or credentials behind the test's back. */
const BASE_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(AWS_|REVOCATION_API_URL$|PORT$|ADMIN_ACCESS_KEY_ID$|ADMIN_SECRET_ACCESS_KEY$)/.test(name),
  ),
);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: unknown;
}

/**
 * At most one CLI process per core at a time: each one is mostly tsx start-up CPU, so more in parallel
 * only adds contention (and memory) for the rest of the suite.
 */
const slots = { free: Math.max(2, availableParallelism()), waiting: [] as (() => void)[] };

async function limited<T>(run: () => Promise<T>): Promise<T> {
  if (slots.free > 0) slots.free--;
  else await new Promise<void>((resolve) => slots.waiting.push(resolve));
  try {
    return await run();
  } finally {
    const next = slots.waiting.shift();
    if (next) next();
    else slots.free++;
  }
}

/** Runs `bin/admin.ts` as users do, in its own process; records any secret it prints. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return limited(() => spawnBundled(args, env));
}

let bundled: Promise<string> | undefined;

/**
 * `bin/admin.ts` and everything it imports in one file, built once per test worker with esbuild (which is
 * also what tsx compiles it with). The suite runs the CLI about 150 times: under tsx each start costs
 * 1.4-1.8 s of CPU, the bundle 0.4 s, which took about two minutes off a run on two cores. The code run is
 * the same source; `runCliAsUsersDo` keeps one path through `npm run admin`'s own entry.
 */
function cliBundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'admin-cli-')), 'admin.mjs');
    await esbuild.build({
      entryPoints: [join(ROOT, 'bin/admin.ts')],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      // The AWS SDK's CommonJS parts call require(); an ES module has none of its own.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      outfile,
      logLevel: 'error',
    });
    return outfile;
  })();
  return bundled;
}

/** Runs the CLI through tsx and `bin/admin.ts`, exactly as `npm run admin` does (slower: see cliBundle). */
export function runCliAsUsersDo(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return limited(() => spawnCli(['--import', 'tsx', 'bin/admin.ts', ...args], env));
}

async function spawnBundled(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return spawnCli([await cliBundle(), ...args], env);
}

function spawnCli(argv: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      let json: unknown;
      try {
        json = stdout === '' ? undefined : JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      recordSecrets(json);
      resolve({ code, stdout, stderr, json });
    });
  });
}
