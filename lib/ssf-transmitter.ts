import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '#commons/event-delivery/eventbridge.ts';
import type { FunctionEntry, QueueTrigger } from '#commons/manifest.ts';
import { SSF_ENV } from '#commons/ssf/config.ts';
import type { ServiceFunction } from './service-function.ts';

/** The revocation types that become SETs (functions/commons/domain/ssf.ts `setBodyOf`): the rule's filter. */
export const SSF_EVENT_TYPES = [
  'grant.revoked',
  'refresh_token.reuse_detected',
  'family.revoked',
  'subject.tokens_revoked',
] as const;

/** The deliverer's memory and timeout: a drain's budget (20 s) plus one push's deadline (10 s), with room. */
export const DELIVERER_SETTINGS = { memorySize: 256, timeout: Duration.seconds(60) };

/** A message that fails this many receipts (the table or KMS down for a long while) goes to the DLQ. */
export const DELIVERER_MAX_RECEIVES = 5;

/** Age of the oldest queued message above which the alarm fires: a push waits seconds, not minutes. */
export const QUEUE_AGE_THRESHOLD = Duration.minutes(20);

export interface SsfTransmitterProps {
  /**
   * The key that signs SETs (RSA_2048, SIGN_VERIFY).
   * @default - a key this construct creates, kept (RETAIN) when it leaves the stack
   */
  readonly signingKey?: kms.IKey;
  /**
   * Keys no longer signing but still published at `jwks_uri`, for the overlap of a rotation (docs/ssf.md).
   * @default - none
   */
  readonly retiredSigningKeys?: readonly kms.IKey[];
  /** What happens to the queues when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The resources of the SSF transmitter the functions are bound to before they exist: the signing key, the
 * deliverer's queue and its dead-letter queue. `bind` gives each function what its manifest entry's `ssf`
 * says and nothing more; `connect` wires the deliverer (the bus rule, its event source, the alarms).
 */
export class SsfTransmitter extends Construct {
  readonly signingKey: kms.IKey;
  readonly retiredSigningKeys: readonly kms.IKey[];
  /** The deliverer's queue: revocation events from the bus, wake-ups and verification requests. */
  readonly queue: sqs.Queue;
  /** Messages the deliverer failed on five times. */
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: SsfTransmitterProps) {
    super(scope, id);
    this.signingKey =
      props.signingKey ??
      new kms.Key(this, 'SigningKey', {
        description: 'Signs the Shared Signals SETs of the token revocation service (RS256)',
        keySpec: kms.KeySpec.RSA_2048,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        // Receivers verify SETs signed with it for as long as they are delivered (up to 30 days as dead
        // letters): a key that leaves the stack is kept, for an operator to retire it (docs/ssf.md).
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.retiredSigningKeys = props.retiredSigningKeys ?? [];
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue.node.defaultChild ?? this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the SSF deliverer queue and of its EventBridge rule target.',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      // The messages hold revocation events as published (ids, subject, actor) or stream ids: never a token.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda advises for SQS event sources.
      visibilityTimeout: Duration.seconds(DELIVERER_SETTINGS.timeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DELIVERER_MAX_RECEIVES },
      removalPolicy: props.removalPolicy,
    });
  }

  /** Gives a function its SSF rights and settings, by its manifest entry's `ssf`. */
  bind(entry: FunctionEntry, fn: ServiceFunction): void {
    if (entry.ssf === undefined) return;
    if (entry.ssf === 'send' || entry.ssf === 'sign') {
      fn.addEnvironment(SSF_ENV.queueUrl, this.queue.queueUrl);
      this.queue.grantSendMessages(fn.executionRole);
    }
    const published = [this.signingKey, ...this.retiredSigningKeys];
    if (entry.ssf === 'keys') {
      fn.addEnvironment(SSF_ENV.signingKeyIds, published.map((key) => key.keyArn).join(','));
      for (const key of published) {
        fn.executionRole.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [key.keyArn] }),
        );
      }
    }
    if (entry.ssf === 'sign') {
      fn.addEnvironment(SSF_ENV.signingKeyIds, this.signingKey.keyArn);
      fn.executionRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:Sign'], resources: [this.signingKey.keyArn] }),
      );
    }
  }

  /**
   * Wires the deliverer: the bus rule for the revocation types that become SETs, the queue as its event
   * source (partial batch responses), the key policy that lets nobody else sign, and the alarms (oldest
   * message age, dead-letter queue, SETs given up on after 24 hours).
   */
  connect(
    entry: FunctionEntry<QueueTrigger>,
    deliverer: ServiceFunction,
    bus: events.IEventBus,
    issuer: string,
  ): void {
    deliverer.addEnvironment(SSF_ENV.defaultIssuer, issuer);
    new events.Rule(this, 'RevocationsRule', {
      eventBus: bus,
      description: 'Revocation events that become Shared Signals SETs, to the SSF deliverer queue',
      eventPattern: { source: [EVENT_SOURCE], detailType: [...SSF_EVENT_TYPES] },
      targets: [
        new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 185 }),
      ],
    });
    deliverer.addEventSource(
      new SqsEventSource(this.queue, { batchSize: entry.trigger.batchSize, reportBatchItemFailures: true }),
    );
    // Only the deliverer signs: IAM grants it kms:Sign, and the key policy refuses Sign to anyone else
    // in the account, whatever their IAM policies say.
    if (this.signingKey instanceof kms.Key) {
      this.signingKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyTheSsfDelivererSigns',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': deliverer.executionRole.roleArn } },
        }),
      );
    }
    const period = Duration.minutes(5);
    this.alarms.push(
      new cloudwatch.Alarm(this, 'QueueAge', {
        alarmDescription: `SSF deliverer: the oldest queued message is over ${QUEUE_AGE_THRESHOLD.toMinutes()} minutes old (failing or throttled)`,
        // Retries wait up to 15 minutes in the queue by design; beyond that the deliverer is not keeping up.
        metric: this.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: QUEUE_AGE_THRESHOLD.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'DeadLetterQueueMessages', {
        alarmDescription:
          'SSF deliverer: messages it failed on five times, or events the rule could not queue',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'SetDeadLetters', {
        alarmDescription:
          'SSF: a SET was given up on after 24 hours of push retries; list with "revocation-admin ssf dead-letters", ' +
          'redeliver with "revocation-admin ssf redeliver"',
        metric: new cloudwatch.Metric({
          namespace: 'TokenRevocation',
          metricName: 'SsfDeadLetters',
          dimensionsMap: { service: 'token-revocation' },
          period,
          statistic: 'Sum',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
