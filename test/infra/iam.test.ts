import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionEntry, HTTP_FUNCTIONS, STREAM_FUNCTIONS } from '#commons/manifest.ts';
import { tableAccess } from '#lib/table-access.ts';
import type { TokenRevocationService } from '#lib/token-revocation-service.ts';
import { functionDescription } from '#lib/token-revocation-service.ts';
import {
  logicalIdOf,
  resourcesOfType,
  SERVICE_FUNCTIONS,
  synthesize,
  synthesizeConstruct,
  TEST_ENV,
} from './support.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** A statement in comparable form: actions and resources as sorted lists. */
function normalize(statement: Statement) {
  return {
    Effect: statement.Effect,
    Action: list(statement.Action).sort(),
    Resource: list(statement.Resource)
      .map((r) => JSON.stringify(r))
      .sort(),
    Condition: statement.Condition,
  };
}

/** Logical ids of an entry's function, its role and its log group. */
function functionOf(template: Template, route: FunctionEntry) {
  const functions = resourcesOfType(template, 'AWS::Lambda::Function');
  const description = functionDescription(route);
  const entry = Object.entries(functions).find(([, fn]) => fn.Properties.Description === description);
  if (!entry) throw new Error(`no function for ${description}`);
  const [id, fn] = entry;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  return { id, roleId, logGroupId };
}

/** Every statement of every policy attached to a role. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const policies = resourcesOfType(template, 'AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/**
 * Active tracing's statement: X-Ray's write actions take no resource-level permissions, so "*" is the only
 * resource they can have.
 */
const XRAY_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: '*',
};

const tableArnOf = (template: Template) => ({
  'Fn::GetAtt': [Object.keys(template.findResources('AWS::DynamoDB::Table'))[0], 'Arn'],
});

/**
 * What the route table entitles a function to, written out independently of lib/table-access.ts: its
 * table actions on the table ARN, except Query, which goes to the named indexes' ARNs when it has any.
 */
function expectedTableStatements(template: Template, route: FunctionEntry): Statement[] {
  const tableArn = tableArnOf(template);
  const onIndexes = route.indexes.length > 0;
  const tableActions = route.tableActions.filter((a) => !(onIndexes && a === 'dynamodb:Query'));
  const statements: Statement[] = [];
  if (tableActions.length > 0) statements.push({ Effect: 'Allow', Action: tableActions, Resource: tableArn });
  if (onIndexes) {
    statements.push({
      Effect: 'Allow',
      Action: 'dynamodb:Query',
      Resource: route.indexes.map((name) => ({ 'Fn::Join': ['', [tableArn, `/index/${name}`]] })),
    });
  }
  return statements;
}

/** A policy as the set of (action, resource) pairs it allows: exact, whatever way CDK merged statements. */
function grants(statements: Statement[]): string[] {
  return statements
    .flatMap((s) =>
      list(s.Action).flatMap((action) =>
        list(s.Resource).map((r) => `${s.Effect} ${action} ${JSON.stringify(r)}${s.Condition ? ' if' : ''}`),
      ),
    )
    .sort();
}

/**
 * [v3] What a manifest entry's `ssf` right entitles its function to, written out independently of
 * lib/ssf-transmitter.ts: sending to the deliverer's queue (`send`), the public keys (`keys`), or signing
 * with the current key and sending (`sign`).
 */
function expectedSsfStatements(service: TokenRevocationService, entry: FunctionEntry): Statement[] {
  const stack = Stack.of(service);
  const queueArn = { 'Fn::GetAtt': [logicalIdOf(stack, service.ssf.queue), 'Arn'] };
  const keyArn = { 'Fn::GetAtt': [logicalIdOf(stack, service.ssf.signingKey), 'Arn'] };
  const send: Statement = {
    Effect: 'Allow',
    Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
    Resource: queueArn,
  };
  switch (entry.ssf) {
    case 'send':
      return [send];
    case 'keys':
      return [{ Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: keyArn }];
    case 'sign':
      return [send, { Effect: 'Allow', Action: 'kms:Sign', Resource: keyArn }];
    default:
      return [];
  }
}

const onlyIdOf = (template: Template, type: string) => {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

describe('least privilege', () => {
  const { stack, template } = synthesize();
  const { service } = stack;

  it.each(HTTP_FUNCTIONS.map((route) => [functionDescription(route), route] as const))(
    '%s: the role may write its own log group, send traces and perform exactly its route-table actions',
    (_key, route) => {
      const { roleId, logGroupId } = functionOf(template, route);
      const expected = [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        XRAY_STATEMENT,
        ...expectedTableStatements(template, route),
        ...expectedSsfStatements(service, route),
        // [v3] Reading the subject key secret: that one secret, by its own ARN, and nothing else of it.
        ...(route.subjectKey === 'read'
          ? [
              {
                Effect: 'Allow',
                Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
                Resource: { Ref: onlyIdOf(template, 'AWS::SecretsManager::Secret') },
              },
            ]
          : []),
      ];
      const actual = statementsOf(template, roleId);
      expect(grants(actual)).toEqual(grants(expected));
    },
  );

  it.each(STREAM_FUNCTIONS.map((entry) => [entry.name, entry] as const))(
    '%s: its log group, traces, its manifest table actions, the stream, the on-failure queue and nothing else',
    (_name, entry) => {
      const { roleId, logGroupId } = functionOf(template, entry);
      const tableId = onlyIdOf(template, 'AWS::DynamoDB::Table');
      const queueArn = { 'Fn::GetAtt': [logicalIdOf(stack, service.streamFailureQueue), 'Arn'] };
      const busArn = { 'Fn::GetAtt': [onlyIdOf(template, 'AWS::Events::EventBus'), 'Arn'] };
      const expected: Statement[] = [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        XRAY_STATEMENT,
        ...expectedTableStatements(template, entry),
        // What DynamoEventSource grants the poller: the stream's records, and ListStreams (no resource level).
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
        },
        { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
        // The on-failure destination: Lambda sends with the function's role.
        {
          Effect: 'Allow',
          Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          Resource: queueArn,
        },
        ...(entry.events === 'put'
          ? [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }]
          : []),
      ];
      expect(grants(statementsOf(template, roleId))).toEqual(grants(expected));
    },
  );

  it('ssf-deliverer: its log group, traces, its manifest table actions, its queue, kms:Sign and nothing else', () => {
    const deliverer = FUNCTIONS.find((entry) => entry.trigger.type === 'queue');
    if (!deliverer) throw new Error('no queue function in the manifest');
    const { roleId, logGroupId } = functionOf(template, deliverer);
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(stack, service.ssf.queue), 'Arn'] };
    const expected: Statement[] = [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
      XRAY_STATEMENT,
      ...expectedTableStatements(template, deliverer),
      ...expectedSsfStatements(service, deliverer),
      // What SqsEventSource grants the poller: receive and delete on its own queue.
      {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Resource: queueArn,
      },
    ];
    // The event source and the `sign` right both allow GetQueueAttributes and GetQueueUrl: one grant each.
    const unique = (pairs: string[]) => [...new Set(pairs)];
    expect(unique(grants(statementsOf(template, roleId)))).toEqual(unique(grants(expected)));
  });

  it('gives the sweeper exactly Query on the three indexes and BatchWriteItem on the table', () => {
    const sweeper = STREAM_FUNCTIONS.find((entry) => entry.name === 'sweeper');
    if (!sweeper) throw new Error('no sweeper in the manifest');
    const table = onlyIdOf(template, 'AWS::DynamoDB::Table');
    const tableArn = { 'Fn::GetAtt': [table, 'Arn'] };
    const dynamo = grants(statementsOf(template, functionOf(template, sweeper).roleId)).filter(
      (grant) =>
        grant.includes('dynamodb:') && !grant.includes('StreamArn') && !grant.includes('ListStreams'),
    );
    expect(dynamo).toEqual(
      grants([
        { Effect: 'Allow', Action: 'dynamodb:BatchWriteItem', Resource: tableArn },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: ['byClient', 'byGrant', 'bySubject'].map((name) => ({
            'Fn::Join': ['', [tableArn, `/index/${name}`]],
          })),
        },
      ]),
    );
  });

  it('gives the publisher no table action: only the stream and PutEvents on the bus', () => {
    const publisher = STREAM_FUNCTIONS.find((entry) => entry.name === 'publisher');
    if (!publisher) throw new Error('no publisher in the manifest');
    const table = onlyIdOf(template, 'AWS::DynamoDB::Table');
    const onTable = grants(statementsOf(template, functionOf(template, publisher).roleId)).filter((grant) =>
      grant.includes(`["${table}","Arn"]`),
    );
    expect(onTable).toEqual([]);
  });

  it('lets only the stream consumers read the stream, and only `events: put` entries put events', () => {
    for (const entry of SERVICE_FUNCTIONS) {
      const allowed = grants(statementsOf(template, functionOf(template, entry).roleId)).join('\n');
      expect(allowed.includes('dynamodb:GetRecords')).toBe(entry.trigger.type === 'stream');
      expect(allowed.includes('dynamodb:ListStreams')).toBe(entry.trigger.type === 'stream');
      expect(allowed.includes('events:')).toBe(entry.events === 'put');
    }
    expect(FUNCTIONS.filter((entry) => entry.events === 'put').map((entry) => entry.name)).toEqual([
      'publisher',
    ]);
  });

  it('never grants a wildcard action or resource, or Query on index/*, beyond X-Ray and ListStreams', () => {
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    // Neither X-Ray's writes nor dynamodb:ListStreams take a resource-level permission.
    const unscoped = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'dynamodb:ListStreams']);
    const onStar = statements.filter((statement) => JSON.stringify(statement.Resource) === '"*"');
    expect(onStar).toHaveLength(SERVICE_FUNCTIONS.length);
    for (const statement of onStar) {
      expect(list(statement.Action).filter((action) => !unscoped.has(action))).toEqual([]);
    }
    const others = statements.filter((statement) => !onStar.includes(statement));
    expect(JSON.stringify(others)).not.toMatch(
      /"Action":\s*"[^"]*\*"|"dynamodb:\*"|"xray:|"Resource":\s*"\*"|\/index\/\*/,
    );
  });

  it('uses no AWS managed policy (AWSLambdaBasicExecutionRole may write every log group)', () => {
    for (const role of Object.values(resourcesOfType(template, 'AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('gives each function a role of its own, assumable by Lambda only', () => {
    const roles = resourcesOfType(template, 'AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(SERVICE_FUNCTIONS.length);
    for (const role of Object.values(roles)) {
      const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
      expect(trust).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
        },
      ]);
    }
  });

  it('refuses a route that names an index the schema does not have', () => {
    const route = { ...HTTP_FUNCTIONS[0], indexes: ['byNothing'] } as FunctionEntry;
    expect(() => tableAccess(route)).toThrow(/unknown index "byNothing"/);
  });
});

describe('least privilege with a customer managed key', () => {
  const keyArn = `arn:aws:kms:${TEST_ENV.region}:${TEST_ENV.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const { stack, template } = synthesizeConstruct((host) => ({
    encryptionKey: kms.Key.fromKeyArn(host, 'Key', keyArn),
  }));
  const writes = [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ];

  it.each(SERVICE_FUNCTIONS.map((route) => [functionDescription(route), route] as const))(
    '%s: may use the table key for exactly what its table actions need',
    (_key, route) => {
      const { roleId } = functionOf(template, route);
      // The SSF signing key's rights (GetPublicKey, Sign) are on that key, not the table's.
      const keyStatements = statementsOf(template, roleId).filter(
        (s) =>
          list(s.Action).some((a) => a.startsWith('kms:')) && JSON.stringify(s.Resource).includes(keyArn),
      );
      const writer = route.tableActions.some((a) => writes.includes(a));
      const actions = ['kms:Decrypt', 'kms:DescribeKey'];
      if (writer) actions.push('kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*');
      expect(keyStatements.map(normalize)).toEqual([
        normalize({ Effect: 'Allow', Action: actions, Resource: keyArn }),
      ]);
    },
  );

  it('leaves cdk-nag nothing unacknowledged: the key action families are acknowledged with a reason', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
  });

  it('encrypts the table with that key', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
    });
  });
});

function _byJson(a: unknown, b: unknown): number {
  return JSON.stringify(a).localeCompare(JSON.stringify(b));
}
