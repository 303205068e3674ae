/**
 * `revocation-admin events redrive --queue-url URL`: empties the stream consumers' on-failure queue (stack
 * output `FailureQueueUrl`) back into the service, with the caller's AWS credentials. Two kinds of message
 * land there:
 * - a whole revocation event the publisher could not put on the bus (`kind: "revocation-event"`): put on
 *   its bus again, with the same `detail.id`, so consumers that saw it already drop it;
 * - Lambda's on-failure record of a stream batch a consumer gave up on (`DDBStreamBatchInfo`: shard and
 *   sequence numbers, no data): its records are read back from the table's stream (which keeps them 24
 *   hours) and handed to the same function again, so an unfinished sweep finishes (sweeps are idempotent).
 * A message is deleted only once its redrive succeeded; one that fails stays for the next run.
 */

import {
  type _Record,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KeptEventMessage } from '#commons/event-delivery/sinks.ts';
import { lambdaRecord } from '#tools/local/stream-reader.ts';

export interface RedriveClients {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly streams: Pick<DynamoDBStreamsClient, 'send'>;
  readonly lambda: Pick<LambdaClient, 'send'>;
}

export interface RedriveOutcome {
  /** Whole events put on their bus again. */
  republished: number;
  /** Stream batches handed to their function again. */
  replayed: number;
  /** Messages left in the queue, each with the reason (no data, no secret). */
  failed: string[];
}

/** Lambda's on-failure record for a stream event source (the parts used here). */
interface StreamFailureRecord {
  readonly requestContext?: { readonly functionArn?: string };
  readonly DDBStreamBatchInfo?: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly streamArn: string;
  };
}

/** The records of a shard from `start` to `end` (sequence numbers, inclusive), read back from the stream. */
async function streamRecords(
  streams: RedriveClients['streams'],
  info: NonNullable<StreamFailureRecord['DDBStreamBatchInfo']>,
): Promise<_Record[]> {
  const end = BigInt(info.endSequenceNumber);
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: info.streamArn,
      ShardId: info.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: info.startSequenceNumber,
    }),
  );
  const records: _Record[] = [];
  let iterator = ShardIterator;
  for (let emptyPages = 0; iterator !== undefined && emptyPages < 5; ) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    const got = page.Records ?? [];
    emptyPages = got.length === 0 ? emptyPages + 1 : 0;
    for (const record of got) {
      if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return records;
      records.push(record);
    }
    if (records.length > 0 && BigInt(records.at(-1)?.dynamodb?.SequenceNumber ?? '0') >= end) return records;
    iterator = page.NextShardIterator;
  }
  return records;
}

async function redriveOne(clients: RedriveClients, body: unknown): Promise<'republished' | 'replayed'> {
  const kept = body as Partial<KeptEventMessage>;
  if (kept.kind === 'revocation-event' && kept.entry) {
    // JSON made the entry's Time a string; the SDK serializes a Date.
    const entry = { ...kept.entry, Time: new Date(kept.entry.Time) };
    const result = await clients.eventBridge.send(new PutEventsCommand({ Entries: [entry] }));
    if ((result.FailedEntryCount ?? 0) > 0)
      throw new Error(`PutEvents refused it: ${result.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
    return 'republished';
  }
  const failure = body as StreamFailureRecord;
  const info = failure.DDBStreamBatchInfo;
  const functionArn = failure.requestContext?.functionArn;
  if (!info || !functionArn) throw new Error('neither a kept event nor a stream batch failure record');
  const records = await streamRecords(clients.streams, info);
  if (records.length === 0) throw new Error('its records are no longer in the stream (kept 24 hours)');
  const event = { Records: records.map((record) => lambdaRecord(record, info.streamArn)) };
  const result = await clients.lambda.send(
    new InvokeCommand({
      FunctionName: functionArn,
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  if (result.FunctionError) throw new Error(`the function failed: ${result.FunctionError}`);
  const response = result.Payload
    ? (JSON.parse(new TextDecoder().decode(result.Payload)) as { batchItemFailures?: unknown[] } | null)
    : null;
  if ((response?.batchItemFailures?.length ?? 0) > 0)
    throw new Error('the function failed some records again');
  return 'replayed';
}

/**
 * Receives every message of the queue (up to `max`), redrives each, deletes the ones that succeeded. A
 * message that failed is left hidden for the visibility timeout, so one run never retries it in a loop.
 */
export async function redrive(
  clients: RedriveClients,
  queueUrl: string,
  options: { max?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<RedriveOutcome> {
  const outcome: RedriveOutcome = { republished: 0, replayed: 0, failed: [] };
  const max = options.max ?? Number.POSITIVE_INFINITY;
  let seen = 0;
  while (seen < max) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 300,
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      seen++;
      try {
        const done = await redriveOne(clients, JSON.parse(message.Body ?? 'null'));
        outcome[done]++;
        await clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      } catch (error) {
        outcome.failed.push(
          `${message.MessageId ?? 'a message'}: ${error instanceof Error ? error.message : error}`,
        );
      }
    }
  }
  return outcome;
}

export const REDRIVE_HELP = `Usage: revocation-admin events redrive --queue-url URL [--region REGION] [--max N]

Puts what the stream consumers' on-failure queue holds back into the service, with your AWS credentials
(the default credential chain): whole events the publisher could not put on the bus go to their bus
again (same detail.id), and stream batches a consumer gave up on (an unfinished sweep) are read back from
the table's stream (within 24 hours) and handed to their function again. Each message is deleted only
once it succeeded; the rest stay, and the command exits 1 naming each.

Options:
  --queue-url URL    the on-failure queue (stack output FailureQueueUrl)
  --region REGION    default: the queue URL's region
  --max N            at most N messages this run

Needs: sqs:ReceiveMessage, sqs:DeleteMessage on the queue; events:PutEvents on the bus;
dynamodb:GetShardIterator, dynamodb:GetRecords on the table's stream; lambda:InvokeFunction on the consumers.
`;

/** The command line of `events redrive`; `argv` after the two command words. */
export async function runRedrive(
  argv: readonly string[],
  io: { stdout(text: string): void; stderr(text: string): void },
): Promise<number> {
  const { parseArgs } = await import('node:util');
  let values: { 'queue-url'?: string; region?: string; max?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'queue-url': { type: 'string' },
        region: { type: 'string' },
        max: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(
      `revocation-admin: ${error instanceof Error ? error.message : error}; see 'revocation-admin events redrive --help'\n`,
    );
    return 2;
  }
  if (values.help) {
    io.stdout(REDRIVE_HELP);
    return 0;
  }
  const queueUrl = values['queue-url'];
  const max = values.max === undefined ? undefined : Number(values.max);
  if (!queueUrl || (max !== undefined && !(Number.isInteger(max) && max > 0))) {
    io.stderr(
      "revocation-admin: events redrive needs --queue-url URL (and --max a positive integer); see 'revocation-admin events redrive --help'\n",
    );
    return 2;
  }
  const region = values.region ?? /^https:\/\/sqs\.([a-z0-9-]+)\./.exec(queueUrl)?.[1];
  const config = region === undefined ? {} : { region };
  const [{ SQSClient }, { EventBridgeClient }, { DynamoDBStreamsClient }, { LambdaClient }] =
    await Promise.all([
      import('@aws-sdk/client-sqs'),
      import('@aws-sdk/client-eventbridge'),
      import('@aws-sdk/client-dynamodb-streams'),
      import('@aws-sdk/client-lambda'),
    ]);
  const clients = {
    sqs: new SQSClient(config),
    eventBridge: new EventBridgeClient(config),
    streams: new DynamoDBStreamsClient(config),
    lambda: new LambdaClient(config),
  };
  try {
    const outcome = await redrive(clients, queueUrl, max === undefined ? {} : { max });
    io.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
    return outcome.failed.length > 0 ? 1 : 0;
  } catch (error) {
    io.stderr(
      `revocation-admin: events redrive failed: ${error instanceof Error ? error.name : error}: ${error instanceof Error ? error.message : ''}\n`,
    );
    return 1;
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}
