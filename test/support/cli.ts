/**
 * The admin CLI run as users run it (`bin/admin.ts` in its own process), for the e2e tests of its commands.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
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
  return limited(() => spawnCli(args, env));
}

function spawnCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/admin.ts', ...args], {
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
