import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { TokenRevocationService, type TokenRevocationServiceProps } from './token-revocation-service.ts';

export interface TokenRevocationStackProps extends StackProps {
  /**
   * Passed to the service construct; wins over the `-c` context values read by the stack.
   * @default - production defaults, adjusted by context (see `serviceContext`)
   */
  readonly service?: TokenRevocationServiceProps;
}

/** Context keys `cdk deploy -c key=value` accepts, so a deployment needs no code change. */
export const CONTEXT_KEYS = {
  /** ARN of an existing SNS topic every alarm notifies. */
  alarmTopicArn: 'alarmTopicArn',
  /** `destroy` for a development stack whose table and logs go away with it. */
  removalPolicy: 'removalPolicy',
  throttlingRateLimit: 'throttlingRateLimit',
  throttlingBurstLimit: 'throttlingBurstLimit',
  /** RFC 8414 issuer identifier (the `issuer` prop), e.g. the API's custom domain URL. */
  issuer: 'issuer',
  /** Comma-separated IAM user or role ARNs allowed on the admin API (the `adminPrincipalArns` prop). */
  adminPrincipalArns: 'adminPrincipalArns',
} as const;

function numberContext(scope: Construct, key: string): number | undefined {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`context ${key} must be a positive number`);
  return value;
}

/** Service props from `-c` context values; anything absent keeps the construct's default. */
export function serviceContext(scope: Construct): TokenRevocationServiceProps {
  const topicArn: unknown = scope.node.tryGetContext(CONTEXT_KEYS.alarmTopicArn);
  const removal: unknown = scope.node.tryGetContext(CONTEXT_KEYS.removalPolicy);
  const issuer: unknown = scope.node.tryGetContext(CONTEXT_KEYS.issuer);
  const principals: unknown = scope.node.tryGetContext(CONTEXT_KEYS.adminPrincipalArns);
  if (removal !== undefined && removal !== 'destroy' && removal !== 'retain') {
    throw new Error(`context ${CONTEXT_KEYS.removalPolicy} must be "retain" or "destroy"`);
  }
  return {
    alarmTopic:
      typeof topicArn === 'string' && topicArn
        ? sns.Topic.fromTopicArn(scope, 'AlarmTopic', topicArn)
        : undefined,
    removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : undefined,
    throttlingRateLimit: numberContext(scope, CONTEXT_KEYS.throttlingRateLimit),
    throttlingBurstLimit: numberContext(scope, CONTEXT_KEYS.throttlingBurstLimit),
    issuer: typeof issuer === 'string' && issuer ? issuer : undefined,
    adminPrincipalArns:
      typeof principals === 'string' && principals
        ? principals
            .split(',')
            .map((arn) => arn.trim())
            .filter((arn) => arn !== '')
        : undefined,
  };
}

/** The deployable stack: the service construct and the outputs a caller needs (API, table, event bus). */
export class TokenRevocationStack extends Stack {
  readonly service: TokenRevocationService;

  constructor(scope: Construct, id: string, props: TokenRevocationStackProps = {}) {
    super(scope, id, props);
    const fromContext = serviceContext(this);
    const defined = Object.entries(props.service ?? {}).filter(([, value]) => value !== undefined);
    this.service = new TokenRevocationService(this, 'Service', {
      ...fromContext,
      ...Object.fromEntries(defined),
    });
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the HTTP API',
      value: this.service.url,
    });
    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table holding clients and token hashes',
      value: this.service.table.tableName,
    });
    new CfnOutput(this, 'EventBusName', {
      description: 'EventBridge bus of the revocation events (source token-revocation), for your rules',
      value: this.service.eventBus.eventBusName,
    });
    new CfnOutput(this, 'FailureQueueUrl', {
      description:
        'On-failure queue of the sweeps and events: revocation-admin events redrive --queue-url <this>',
      value: this.service.streamFailureQueue.queueUrl,
    });
  }
}
