import type { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ENV } from '#commons/config.ts';
import { FUNCTIONS, type FunctionEntry, HTTP_FUNCTIONS, STREAM_FUNCTIONS } from '#commons/manifest.ts';
import { functionDescription } from '#lib/token-revocation-service.ts';
import {
  type CfnResource,
  resource,
  resourcesOfType,
  synthesize,
  synthesizeConstruct,
  TEST_ENV,
} from './support.ts';

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const onlyIdOf = (template: Template, type: string) => {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

/** Logical id and resource of the function the construct made for a manifest entry. */
function functionOf(template: Template, entry: FunctionEntry): [string, CfnResource] {
  const found = Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).find(
    ([, fn]) => fn.Properties.Description === functionDescription(entry),
  );
  if (!found) throw new Error(`no function for ${entry.name}`);
  return found;
}

const variablesOf = (fn: CfnResource) =>
  (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

/** Every (action, resource) pair a role is allowed. */
function grantsOf(template: Template, fn: CfnResource): string[] {
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      (policy) =>
        (policy.Properties.PolicyDocument as { Statement: { Action: string[]; Resource: unknown }[] })
          .Statement,
    )
    .flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} ${JSON.stringify(r)}`)));
}

interface MetricAlarm {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Threshold?: number;
  ComparisonOperator?: string;
  Statistic?: string;
  Period?: number;
}

describe('table stream consumers', () => {
  const { stack, template } = synthesize();
  const tableId = onlyIdOf(template, 'AWS::DynamoDB::Table');
  const queueId = onlyIdOf(template, 'AWS::SQS::Queue');
  const mappings = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping'));
  const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map(
    (alarm) => alarm.Properties as MetricAlarm,
  );

  it('are exactly the manifest stream entries, each with one event source mapping on the table stream', () => {
    expect(STREAM_FUNCTIONS.map((entry) => entry.name).sort()).toEqual(['publisher', 'sweeper']);
    expect(mappings).toHaveLength(STREAM_FUNCTIONS.length);
    for (const entry of STREAM_FUNCTIONS) {
      const [fnId] = functionOf(template, entry);
      const own = mappings.filter((m) => JSON.stringify(m.Properties.FunctionName) === `{"Ref":"${fnId}"}`);
      expect(own, entry.name).toHaveLength(1);
      expect(own[0]?.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
    }
  });

  it.each(STREAM_FUNCTIONS.map((entry) => [entry.name, entry] as const))(
    '%s: manifest batch size and filters, partial batch responses, bisection, bounded retries, on-failure queue',
    (_name, entry) => {
      const [fnId] = functionOf(template, entry);
      const mapping = mappings.find((m) => JSON.stringify(m.Properties.FunctionName) === `{"Ref":"${fnId}"}`);
      const properties = mapping?.Properties ?? {};
      expect(properties.BatchSize).toBe(entry.trigger.batchSize);
      const patterns = (properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((f) =>
        JSON.parse(f.Pattern),
      );
      expect(patterns).toEqual(entry.trigger.filters);
      expect(properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(properties.BisectBatchOnFunctionError).toBe(true);
      expect(properties.MaximumRetryAttempts).toBe(3);
      expect(properties.StartingPosition).toBe('TRIM_HORIZON');
      // Bounded, and well inside the stream's 24 hours, so a failure pointer can still be replayed.
      expect(properties.MaximumRecordAgeInSeconds).toBe(6 * 3600);
      expect(properties.DestinationConfig).toEqual({
        OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      });
    },
  );

  it('share one on-failure queue: SSE-encrypted, SSL only, 14 days retention', () => {
    const queue = resource(resourcesOfType(template, 'AWS::SQS::Queue'), queueId);
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const policies = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(1);
    const [policy] = policies;
    if (!policy) throw new Error('no queue policy');
    expect(policy.Properties.Queues).toEqual([{ Ref: queueId }]);
    expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual({
      Action: 'sqs:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
    });
  });

  it('let the publisher, and only it, keep whole events in the on-failure queue', () => {
    for (const entry of STREAM_FUNCTIONS) {
      const [, fn] = functionOf(template, entry);
      const sends = grantsOf(template, fn).filter((grant) => grant.startsWith('sqs:SendMessage '));
      if (entry.events === 'put') {
        expect(variablesOf(fn)[ENV.eventsFailureQueueUrl]).toEqual({ Ref: queueId });
        expect(sends).toEqual([`sqs:SendMessage ${JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] })}`]);
      } else {
        expect(variablesOf(fn)[ENV.eventsFailureQueueUrl]).toBeUndefined();
      }
    }
  });

  it('alarm as soon as the on-failure queue holds a message', () => {
    const onQueue = alarms.filter((alarm) => alarm.Namespace === 'AWS/SQS');
    expect(onQueue).toHaveLength(1);
    expect(onQueue[0]).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarm on each consumer’s iterator age above 60 s', () => {
    const iteratorAge = alarms.filter((alarm) => alarm.MetricName === 'IteratorAge');
    expect(iteratorAge).toHaveLength(STREAM_FUNCTIONS.length);
    const watched = iteratorAge.map((alarm) => {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Maximum',
        Threshold: 60_000,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      return JSON.stringify(alarm.Dimensions);
    });
    expect(watched.sort()).toEqual(
      STREAM_FUNCTIONS.map((entry) =>
        JSON.stringify([{ Name: 'FunctionName', Value: { Ref: functionOf(template, entry)[0] } }]),
      ).sort(),
    );
  });

  it('give the sweeper a 15 minute timeout and size memory per consumer', () => {
    const [, sweeper] = functionOf(
      template,
      STREAM_FUNCTIONS.find((e) => e.name === 'sweeper') as FunctionEntry,
    );
    const [, publisher] = functionOf(
      template,
      STREAM_FUNCTIONS.find((e) => e.name === 'publisher') as FunctionEntry,
    );
    expect(sweeper.Properties).toMatchObject({ Timeout: 900, MemorySize: 512 });
    expect(publisher.Properties).toMatchObject({ Timeout: 120, MemorySize: 256 });
    expect(sweeper.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('leave cdk-nag nothing unacknowledged (SQS2 and SQS4 pass; SQS3: synth.test.ts)', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

describe('every function the construct creates', () => {
  const { template } = synthesize();
  const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'));

  it('is one per route and one per stream consumer', () => {
    expect(functions).toHaveLength(HTTP_FUNCTIONS.length + STREAM_FUNCTIONS.length);
  });

  it('logs JSON and leaves out Lambda’s INFO platform lines (START, END, REPORT)', () => {
    for (const fn of functions) {
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'WARN' });
    }
  });
});

describe('reserved concurrency and memory of the stream consumers', () => {
  it('reserves the sweeper’s concurrency from sweeperReservedConcurrency, and no other function’s', () => {
    const { template } = synthesize({ service: { sweeperReservedConcurrency: 5 } });
    const reserved = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))
      .filter((fn) => fn.Properties.ReservedConcurrentExecutions !== undefined)
      .map((fn) => [fn.Properties.Description, fn.Properties.ReservedConcurrentExecutions]);
    expect(reserved).toEqual([['sweeper: table stream consumer', 5]]);
  });

  it('refuses a reserved concurrency or memory size that is not a positive integer', () => {
    expect(() => synthesize({ service: { sweeperReservedConcurrency: 0 } })).toThrow(
      /sweeperReservedConcurrency must be a positive integer/,
    );
    expect(() => synthesize({ service: { publisherMemorySize: 1.5 } })).toThrow(
      /publisherMemorySize must be a positive integer/,
    );
  });

  it('takes the consumers’ memory from sweeperMemorySize and publisherMemorySize, not memorySize', () => {
    const { template } = synthesize({
      service: { memorySize: 1024, sweeperMemorySize: 2048, publisherMemorySize: 128 },
    });
    const byName = (name: string) =>
      functionOf(template, STREAM_FUNCTIONS.find((e) => e.name === name) as FunctionEntry)[1];
    expect(byName('sweeper').Properties.MemorySize).toBe(2048);
    expect(byName('publisher').Properties.MemorySize).toBe(128);
  });
});

describe('the event bus', () => {
  const publisherEntry = FUNCTIONS.find((entry) => entry.events === 'put') as FunctionEntry;

  it('is created by the construct by default, and only `events: put` entries get its name and PutEvents', () => {
    const { template } = synthesize();
    const busId = onlyIdOf(template, 'AWS::Events::EventBus');
    for (const fn of Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))) {
      const isPublisher = fn.Properties.Description === functionDescription(publisherEntry);
      expect(variablesOf(fn)[ENV.eventBusName]).toEqual(isPublisher ? { Ref: busId } : undefined);
      const puts = grantsOf(template, fn).filter((grant) => grant.startsWith('events:'));
      expect(puts).toEqual(isPublisher ? [`events:PutEvents {"Fn::GetAtt":["${busId}","Arn"]}`] : []);
    }
  });

  it('can be one the user passes: nothing is created, and the publisher puts on exactly that bus', () => {
    const arn = `arn:aws:events:${TEST_ENV.region}:${TEST_ENV.account}:event-bus/security-events`;
    let passed: events.IEventBus | undefined;
    const { service, template } = synthesizeConstruct((host) => {
      passed = events.EventBus.fromEventBusArn(host, 'Bus', arn);
      return { eventBus: passed };
    });
    expect(service.eventBus).toBe(passed);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    const [, publisher] = functionOf(template, publisherEntry);
    expect(variablesOf(publisher)[ENV.eventBusName]).toBe('security-events');
    expect(grantsOf(template, publisher).filter((grant) => grant.startsWith('events:'))).toEqual([
      `events:PutEvents "${arn}"`,
    ]);
    for (const fn of Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))) {
      if (fn.Properties.Description === publisher.Properties.Description) continue;
      expect(grantsOf(template, fn).filter((grant) => grant.startsWith('events:'))).toEqual([]);
    }
  });

  it('is exposed with the queue and the alarms, so users can hook their own actions', () => {
    const { service } = synthesizeConstruct(() => ({}));
    expect(service.eventBus).toBeDefined();
    expect(service.streamFailureQueue).toBeDefined();
    expect([...service.iteratorAgeAlarms.keys()].sort()).toEqual(['publisher', 'sweeper']);
    expect(service.alarms).toContain(service.streamFailureAlarm);
    for (const alarm of service.iteratorAgeAlarms.values()) expect(service.alarms).toContain(alarm);
    expect([...service.streamFunctions.keys()].sort()).toEqual(['publisher', 'sweeper']);
  });
});
