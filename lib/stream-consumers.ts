import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '#commons/config.ts';
import type { FunctionEntry, StreamTrigger } from '#commons/manifest.ts';
import { createTableInput } from '#commons/schema.ts';
import type { ServiceFunction } from './service-function.ts';

/**
 * The table's stream view, read from the schema module (the one DynamoDB Local gets), so the stream the
 * consumers read on AWS carries the same images as the one they are tested against.
 */
export const STREAM_VIEW_TYPE = createTableInput('schema').StreamSpecification.StreamViewType;

/**
 * Attempts after the first failure of a batch (bisected on each): enough to ride out a throttle or a
 * deploy, and bounded so a record that can never succeed goes to the on-failure queue instead of holding
 * its shard (records of one item stay in order, so a stuck record stops everything behind it).
 */
export const STREAM_RETRY_ATTEMPTS = 3;

/**
 * Records older than this go to the on-failure queue unprocessed. The stream keeps records for 24 hours;
 * the queue message names the shard and sequence numbers, not the records, so this leaves an operator
 * 18 hours to read the records back from the stream, while 6 hours of backlog is far beyond anything
 * but an outage.
 */
export const MAX_RECORD_AGE = Duration.hours(6);

/** Failure pointers are kept as long as SQS allows: someone has to read them. */
export const FAILURE_RETENTION = Duration.days(14);

/**
 * Age of the oldest record a consumer has not finished, above which its alarm fires. Sweeps and events
 * follow a revocation within seconds; a minute behind means a consumer is failing, throttled or stuck.
 */
export const ITERATOR_AGE_THRESHOLD = Duration.seconds(60);

/** Per consumer: memory and timeout, sized for what each does. */
export const STREAM_FUNCTION_SETTINGS: Readonly<Record<string, { memorySize: number; timeout: Duration }>> = {
  // A record can be a sweep of a whole client: every page of an index query and a BatchWriteItem per 25
  // tokens. At the 1,000 tokens per second the sweep is built for, 15 minutes (Lambda's maximum) is
  // ~900,000 tokens per attempt, and a retried sweep queries again, so it starts from the tokens left.
  // I/O bound: 512 MB is enough CPU to keep the DynamoDB calls in flight.
  sweeper: { memorySize: 512, timeout: Duration.minutes(15) },
  // One PutEvents per record, in stream order: a full batch of 100 is a few seconds; 2 minutes leaves
  // room for the SDK's retries before the batch is bisected. It only reshapes records: 256 MB.
  publisher: { memorySize: 256, timeout: Duration.minutes(2) },
};

export interface StreamConsumersProps {
  readonly table: dynamodb.ITable;
  /** The stream consumers' functions, by manifest entry name. */
  readonly consumers: ReadonlyMap<string, { entry: FunctionEntry<StreamTrigger>; fn: ServiceFunction }>;
  /** What happens to the on-failure queue when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The table stream's consumers wired the way the handlers expect: one event source mapping each, with the
 * manifest's batch size and filters, partial batch responses (the handlers return Powertools'
 * `batchItemFailures`), bisection and bounded retries, and ONE encrypted on-failure queue for every
 * consumer, with an alarm on its visible messages and one on each consumer's iterator age.
 */
export class StreamConsumers extends Construct {
  /** Where Lambda sends the shard and sequence numbers of records a consumer gave up on. */
  readonly failureQueue: sqs.Queue;
  /** Fires when the on-failure queue holds a message: a sweep or an event was lost until replayed. */
  readonly failureAlarm: cloudwatch.Alarm;
  /** Per consumer (manifest name): fires when it falls behind the stream. */
  readonly iteratorAgeAlarms: ReadonlyMap<string, cloudwatch.Alarm>;
  /** Per consumer (manifest name): its event source mapping's id. */
  readonly eventSourceMappingIds: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: StreamConsumersProps) {
    super(scope, id);
    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      // SQS managed SSE: encrypted at rest without a key policy for Lambda's poller to be let into. The
      // messages hold stream coordinates (shard, sequence numbers, times) or a whole revocation event as
      // published (ids, subject, actor: never a token or secret).
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: FAILURE_RETENTION,
      removalPolicy: props.removalPolicy,
    });
    // On the queue resource only, not on its SSL-only policy beside it.
    Validations.of(this.failureQueue.node.defaultChild ?? this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination: the on-failure destination of the table stream ' +
        'event source mappings, which Lambda writes to after the retries; nothing consumes it ' +
        'automatically, so a queue behind it would never receive anything.',
    });

    const destination = new SqsDlq(this.failureQueue);
    const alarms = new Map<string, cloudwatch.Alarm>();
    const mappings = new Map<string, string>();
    for (const [name, { entry, fn }] of props.consumers) {
      const source = new DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: entry.trigger.batchSize,
        filters: entry.trigger.filters.map((pattern) => lambda.FilterCriteria.filter({ ...pattern })),
        bisectBatchOnError: true,
        retryAttempts: STREAM_RETRY_ATTEMPTS,
        maxRecordAge: MAX_RECORD_AGE,
        reportBatchItemFailures: true,
        onFailure: destination,
      });
      fn.addEventSource(source);
      // The publisher keeps an event EventBridge did not take as a whole message in the same queue, so it
      // outlives the stream's 24 hours; `revocation-admin events redrive` puts it back on the bus.
      if (entry.events === 'put') {
        fn.addEnvironment(ENV.eventsFailureQueueUrl, this.failureQueue.queueUrl);
        this.failureQueue.grantSendMessages(fn.executionRole);
      }
      mappings.set(name, source.eventSourceMappingId);
      alarms.set(
        name,
        new cloudwatch.Alarm(this, `${fn.node.id}IteratorAge`, {
          alarmDescription:
            `${fn.node.id}: the oldest stream record not yet handled is over ` +
            `${ITERATOR_AGE_THRESHOLD.toSeconds()} s old (failing, throttled or stuck)`,
          metric: fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
          threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          // Three minutes of five: one long sweep holding a shard for a moment is not an incident.
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    this.iteratorAgeAlarms = alarms;
    this.eventSourceMappingIds = mappings;

    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription:
        'Stream records a consumer gave up on after its retries (a sweep not done), or events ' +
        'EventBridge did not take: run "revocation-admin events redrive --queue-url <FailureQueueUrl>" ' +
        '(stream batches within 24 hours)',
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
