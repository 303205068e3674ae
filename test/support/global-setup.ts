import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, ensureTable, startDynamoDbLocal } from '#tools/local/dynamodb-local.ts';
import { SDK_NODE_WARNING_SWITCH, STREAM_READERS_SWITCH } from '#tools/local/start.ts';
import { eventsFile, invalidEvents, receivedEvents, startEventsCollector } from './events.ts';

// The AWS SDK's nine-line notice about future Node versions tells a test run nothing. Off here, before the
// first client, and so in everything started from here (test workers, the local servers), which inherit it.
process.env[SDK_NODE_WARNING_SWITCH] = 'true';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    tableName: string;
    baseUrl: string;
    /** Holds server.log (the server's whole output) and secrets.txt (every secret the suite received). */
    runDir: string;
    /** The events collector's record: every event the suite's server POSTed to its webhook (events.ts). */
    eventsFile: string;
  }
}

const TABLE = 'oauth-tokens-test';

/** Where the servers started by the suite record the DynamoDB commands each function sent. */
export const commandRecord = (runDir: string) => join(runDir, 'dynamodb-commands.jsonl');

/**
 * Starts `bin/start.ts` against an existing DynamoDB and resolves with its URL once it listens. Without
 * stream readers unless `env` turns them on: the suite's own server sweeps and publishes for the table,
 * and a second reader of the same stream would sweep and publish everything twice.
 */
export function startServer(
  env: Record<string, string>,
  logFile: string,
  args: readonly string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  // Every server of the suite records the DynamoDB commands each function sends (see record-dynamodb.ts).
  const record = ['--import', './test/support/record-dynamodb.ts'];
  // Not what the test workers run with (vitest.config.ts keeps in-process handlers quiet): a server
  // logs and counts as npm start does.
  const { POWERTOOLS_LOG_LEVEL: _level, POWERTOOLS_METRICS_DISABLED: _metrics, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', ...record, 'bin/start.ts', ...args], {
    env: {
      ...inherited,
      PORT: '0',
      // The suite reads the servers' JSON lines (LOG_FORMAT=json); npm start's human lines have their own test.
      LOG_FORMAT: 'json',
      RECORD_DYNAMODB_COMMANDS: commandRecord(dirname(logFile)),
      [STREAM_READERS_SWITCH]: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${seen}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/localhost:\d+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], child });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${seen}`));
    });
  });
}

export default async function setup(project: TestProject) {
  const runDir = mkdtempSync(join(tmpdir(), 'revocation-tests-'));
  writeFileSync(join(runDir, 'secrets.txt'), '');
  // One subject key secret for the run, set before anything starts so that every server the suite starts on
  // its one table and every test worker (which mints and cuts off in-process too) keys subjects alike.
  process.env.SUBJECT_KEY_FILE = join(runDir, 'subject-key');
  const events = eventsFile(runDir);
  writeFileSync(events, '');
  let dynamo: DynamoDbLocal | undefined;
  let server: ChildProcess | undefined;
  // The webhook the server's publisher POSTs every event to, as EventBridge would hand it to a target.
  const collector = await startEventsCollector(events);
  try {
    dynamo = await startDynamoDbLocal();
    await ensureTable(dynamo.endpoint, TABLE);
    const started = await startServer(
      {
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        TABLE_NAME: TABLE,
        EVENTS_WEBHOOK_URL: collector.url,
        [STREAM_READERS_SWITCH]: 'on',
      },
      join(runDir, 'server.log'),
    );
    server = started.child;
    project.provide('dynamoEndpoint', dynamo.endpoint);
    project.provide('tableName', TABLE);
    project.provide('baseUrl', started.url);
    project.provide('runDir', runDir);
    project.provide('eventsFile', events);
  } catch (error) {
    server?.kill('SIGTERM');
    await dynamo?.stop();
    collector.server.close();
    throw error;
  }
  return async () => {
    // The server stops its stream readers on SIGTERM once the batches in hand are delivered, so every
    // event it sent is in the file before the check below.
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await dynamo?.stop();
    collector.server.closeAllConnections();
    await new Promise((resolve) => collector.server.close(resolve));
    // The contract: docs/events.md's schema holds for every event the suite saw; if not, the run fails.
    const invalid = invalidEvents(events);
    if (invalid.length > 0) {
      // Vitest only logs an error thrown by a teardown ("error during close") and still exits 0.
      process.exitCode = 1;
      throw new Error(
        `${invalid.length} revocation event(s) do not match docs/events.schema.json (all in ${events}):\n${invalid.slice(0, 20).join('\n')}`,
      );
    }
    console.log(
      `events: all ${receivedEvents(events).length} events the suite received match docs/events.schema.json`,
    );
  };
}
