import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { QUEUE_FUNCTIONS } from '#commons/manifest.ts';
import { DELIVERER_MAX_RECEIVES, QUEUE_AGE_THRESHOLD, SSF_EVENT_TYPES } from '#lib/ssf-transmitter.ts';
import {
  type CfnResource,
  logicalIdOf,
  resource,
  resourcesOfType,
  synthesize,
  synthesizeConstruct,
  TEST_ENV,
} from './support.ts';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const statementsOf = (policyDocument: unknown) => (policyDocument as { Statement: Statement[] }).Statement;

describe('the SSF transmitter on AWS', () => {
  const { stack, template } = synthesize();
  const { service } = stack;
  const keyId = logicalIdOf(stack, service.ssf.signingKey);
  const queueId = logicalIdOf(stack, service.ssf.queue);
  const dlqId = logicalIdOf(stack, service.ssf.deadLetterQueue);
  const delivererId = logicalIdOf(stack, service.ssfDeliverer);
  const deliverer = resource(resourcesOfType(template, 'AWS::Lambda::Function'), delivererId);
  const delivererRoleId = (deliverer.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];

  it('signs with an asymmetric RSA_2048 SIGN_VERIFY KMS key, kept when it leaves the stack', () => {
    const key = resource(resourcesOfType(template, 'AWS::KMS::Key'), keyId);
    expect(key.Properties).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    // Rotation of asymmetric keys is not a KMS feature: docs/ssf.md rotates by a new key and an overlap.
    expect(key.Properties.EnableKeyRotation).not.toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('lets only the deliverer sign: kms:Sign in its role alone, and the key policy denies it to anyone else', () => {
    const signers = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((policy) =>
      statementsOf(policy.Properties.PolicyDocument).some((s) =>
        list(s.Action).some((action) => action === 'kms:Sign' || action === 'kms:*'),
      ),
    );
    expect(signers.map((policy) => policy.Properties.Roles)).toEqual([[{ Ref: delivererRoleId }]]);
    const signing = statementsOf(signers[0]?.Properties.PolicyDocument).filter((s) =>
      list(s.Action).includes('kms:Sign'),
    );
    expect(signing.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [keyId, 'Arn'] }]);

    const key = resource(resourcesOfType(template, 'AWS::KMS::Key'), keyId);
    const deny = statementsOf(key.Properties.KeyPolicy).find((s) => s.Sid === 'OnlyTheSsfDelivererSigns');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Action: 'kms:Sign',
      Principal: { AWS: '*' },
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [delivererRoleId, 'Arn'] } } },
    });
  });

  it('publishes the public keys to ssf-jwks only, which may not sign', () => {
    const readers = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((policy) =>
      statementsOf(policy.Properties.PolicyDocument).some((s) => list(s.Action).includes('kms:GetPublicKey')),
    );
    expect(readers).toHaveLength(1);
    const jwks = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Description === 'GET /ssf/jwks',
    );
    if (!jwks) throw new Error('no ssf-jwks function');
    const jwksRole = (jwks.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    expect(readers[0]?.Properties.Roles).toEqual([{ Ref: jwksRole }]);
  });

  it('feeds the deliverer from an SQS queue (encrypted, SSL only) that dead-letters after five receipts', () => {
    const queues = resourcesOfType(template, 'AWS::SQS::Queue');
    const queue = resource(queues, queueId);
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: DELIVERER_MAX_RECEIVES,
      },
    });
    // Lambda's advice for SQS event sources: visibility at least six times the function's timeout.
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * Number(deliverer.Properties.Timeout),
    );
    expect(resource(queues, dlqId).Properties.SqsManagedSseEnabled).toBe(true);
    const policies = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy'));
    for (const id of [queueId, dlqId]) {
      const policy = policies.find(
        (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]),
      );
      expect(statementsOf(policy?.Properties.PolicyDocument)).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }

    const [entry] = QUEUE_FUNCTIONS;
    const mappings = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')).filter(
      (mapping) =>
        JSON.stringify(mapping.Properties.EventSourceArn) ===
        JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }),
    );
    expect(mappings.map((mapping) => mapping.Properties)).toEqual([
      expect.objectContaining({
        FunctionName: { Ref: delivererId },
        BatchSize: entry?.trigger.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
  });

  it('routes only the revocation types that become SETs from the bus to the queue, with the DLQ behind', () => {
    const busId = logicalIdOf(stack, service.eventBus);
    const rules = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes(`"${queueId}"`),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0] as CfnResource;
    expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
    expect(rule.Properties.EventPattern).toEqual({
      source: ['token-revocation'],
      'detail-type': [...SSF_EVENT_TYPES],
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      }),
    ]);
    // EventBridge may send to the queue for that rule only.
    const policy = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy')).find(
      (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
    );
    expect(statementsOf(policy?.Properties.PolicyDocument)).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': expect.anything() } },
      }),
    );
  });

  it('alarms on the age of the oldest queued message, on the dead-letter queue and on SETs given up on', () => {
    const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties,
    );
    const age = alarms.find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(age).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: QUEUE_AGE_THRESHOLD.toSeconds(),
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const dlq = alarms.find(
      (a) =>
        a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        JSON.stringify(a.Dimensions).includes(`"${dlqId}"`),
    );
    expect(dlq).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const given = alarms.find((a) => a.MetricName === 'SsfDeadLetters');
    expect(given).toMatchObject({
      Namespace: 'TokenRevocation',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(String(given?.AlarmDescription)).toMatch(/ssf redeliver/);
    expect(service.ssf.alarms).toHaveLength(3);
  });

  it('tells the deliverer its queue, its signing key and the issuer its SETs name', () => {
    const variables = (deliverer.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      SSF_QUEUE_URL: { Ref: queueId },
      SSF_SIGNING_KEY_IDS: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(JSON.stringify(variables.SSF_DEFAULT_ISSUER)).toContain('.execute-api.');
  });
});

describe('the SSF signing keys given to the construct (a rotation)', () => {
  const arn = (id: string) => `arn:aws:kms:${TEST_ENV.region}:${TEST_ENV.account}:key/${id}`;
  const current = arn('11111111-1111-1111-1111-111111111111');
  const retired = arn('22222222-2222-2222-2222-222222222222');
  const { stack, template } = synthesizeConstruct((host) => ({
    ssfSigningKey: kms.Key.fromKeyArn(host, 'Current', current),
    ssfRetiredSigningKeys: [kms.Key.fromKeyArn(host, 'Retired', retired)],
  }));

  it('creates no key, signs with the current one and publishes both at jwks_uri', () => {
    template.resourceCountIs('AWS::KMS::Key', 0);
    const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'));
    const variables = (description: string) => {
      const fn = functions.find((candidate) => candidate.Properties.Description === description);
      if (!fn) throw new Error(`no function ${description}`);
      return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    };
    expect(variables('GET /ssf/jwks').SSF_SIGNING_KEY_IDS).toBe(`${current},${retired}`);
    expect(variables('ssf-deliverer: SSF deliverer (SQS)').SSF_SIGNING_KEY_IDS).toBe(current);
    const signOn = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .flatMap((policy) => statementsOf(policy.Properties.PolicyDocument))
      .filter((s) => list(s.Action).includes('kms:Sign'))
      .flatMap((s) => list(s.Resource));
    expect(signOn).toEqual([current]);
  });

  it('leaves cdk-nag nothing unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(Stack.of(stack)).violations).toEqual([]);
  });
});
