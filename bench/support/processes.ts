/**
 * Processes the peer and cost benchmarks start and watch: the service's local server as `npm start`
 * runs it, in a child process of its own, and the CPU time of any process from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ADMIN = { accessKeyId: 'LOCALADMIN', secretAccessKey: 'localadminsecret' } as const;

/** Clock ticks per second of /proc/<pid>/stat's times: 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, children excluded) a process has used so far, in milliseconds, from
 * /proc/<pid>/stat; 10 ms resolution, so callers measure over runs of seconds.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

export interface ChildServer {
  readonly url: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx <script>` (plus any `preload` modules) and resolves once `ready` finds what
 * it needs in its stdout. Everything the child prints after that goes to `onOutput`, or is drained.
 */
export function startChild<T>(options: {
  readonly script: string;
  readonly env: Record<string, string>;
  readonly preload?: readonly string[];
  /** Parses the output so far; a value means the child is ready. */
  readonly ready: (output: string) => T | undefined;
  readonly onOutput?: (chunk: Buffer) => void;
}): Promise<{ value: T; child: ChildProcess; stop(): Promise<void> }> {
  const imports = ['tsx', ...(options.preload ?? [])].flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, [...imports, options.script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${options.script} did not start:\n${seen}\n${errors}`));
    }, 60_000);
    const listen = (chunk: Buffer) => {
      seen += chunk.toString();
      const value = options.ready(seen);
      if (value === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', listen);
      // From here on to the caller, or drained: a full pipe would stall the child's logging.
      if (options.onOutput) child.stdout?.on('data', options.onOutput);
      else child.stdout?.resume();
      child.off('exit', early);
      resolve({ value, child, stop });
    };
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.script} exited with ${code}:\n${seen}\n${errors}`));
    };
    child.stdout?.on('data', listen);
    child.once('exit', early);
  });
}

/**
 * The service's local server as `npm start` runs it (bin/start.ts) on a running DynamoDB Local, its
 * stream readers off unless `streamReaders` (they poll the stream, which would add CPU that Lambda's
 * event source mappings spend elsewhere).
 */
export async function startService(options: {
  readonly endpoint: string;
  readonly tableName: string;
  readonly streamReaders?: boolean;
  readonly env?: Record<string, string>;
  readonly preload?: readonly string[];
  readonly onOutput?: (chunk: Buffer) => void;
}): Promise<ChildServer> {
  const started = await startChild({
    script: 'bin/start.ts',
    env: {
      PORT: '0',
      DYNAMODB_ENDPOINT: options.endpoint,
      TABLE_NAME: options.tableName,
      ...(!options.streamReaders && { LOCAL_STREAM_READERS: 'off' }),
      ...options.env,
    },
    ...(options.preload && { preload: options.preload }),
    ...(options.onOutput && { onOutput: options.onOutput }),
    ready: (output) => /listening on (http:\/\/localhost:\d+)/.exec(output)?.[1],
  });
  return {
    url: started.value.replace('localhost', '127.0.0.1'),
    child: started.child,
    pid: started.child.pid ?? 0,
    stop: started.stop,
  };
}
