import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS, STREAM_FUNCTIONS } from '#commons/manifest.ts';
import { type CfnResource, resource, resourcesOfType, synthesize, TEST_ENV } from './support.ts';

function onlyStage(template: Template): CfnResource {
  const stages = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Stage'));
  expect(stages).toHaveLength(1);
  const [stage] = stages;
  if (!stage) throw new Error('no stage');
  return stage;
}

interface MetricQuery {
  Id: string;
  Expression?: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
  };
}

const metricsOf = (alarm: CfnResource) => (alarm.Properties.Metrics ?? []) as MetricQuery[];
const metricNames = (alarm: CfnResource) =>
  metricsOf(alarm)
    .map((m) => m.MetricStat && `${m.MetricStat.Metric.Namespace}/${m.MetricStat.Metric.MetricName}`)
    .filter(Boolean);

describe('API stage', () => {
  const { template } = synthesize();
  const stage = onlyStage(template);

  it('is the auto-deployed $default stage', () => {
    expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true });
  });

  it('throttles every route by default', () => {
    expect(stage.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 1000,
      ThrottlingBurstLimit: 500,
    });
  });

  it('takes rate and burst limits from props, or from -c context', () => {
    const fromProps = onlyStage(
      synthesize({ service: { throttlingRateLimit: 50, throttlingBurstLimit: 20 } }).template,
    );
    expect(fromProps.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 20,
    });
    const fromContext = onlyStage(
      synthesize({}, { throttlingRateLimit: '70', throttlingBurstLimit: '30' }).template,
    );
    expect(fromContext.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 70,
      ThrottlingBurstLimit: 30,
    });
  });

  describe('access logs', () => {
    const settings = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    const format = JSON.parse(settings.Format) as Record<string, string>;
    const variables = Object.values(format);

    it('go to a log group of their own, which expires its events', () => {
      const groupId = (settings.DestinationArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const group = resource(resourcesOfType(template, 'AWS::Logs::LogGroup'), groupId);
      expect(group.Properties.RetentionInDays).toBe(30);
    });

    it('hold the route key, status, latency and request id', () => {
      expect(variables).toEqual(
        expect.arrayContaining([
          '$context.routeKey',
          '$context.status',
          '$context.responseLatency',
          '$context.requestId',
        ]),
      );
    });

    it('carry the Lambda request id, which leads to the function log lines of that request', () => {
      expect(format.integrationRequestId).toBe('$context.integration.requestId');
    });

    it('never hold error messages: free text of API Gateway or the runtime, which may quote the request', () => {
      expect(settings.Format).not.toMatch(/\$context\.error\.message|\$context\.integrationErrorMessage/);
      expect(settings.Format).not.toMatch(/\$context\.(error|integration)\.\w*[mM]essage/);
    });

    it('never hold the path, a header, the query string or the body, any of which can carry a token', () => {
      // The route key is the template (/admin/oauth2/accesstokens/{access_token}); $context.path is the value.
      const safe = new Set([
        '$context.requestId',
        '$context.requestTimeEpoch',
        '$context.routeKey',
        '$context.status',
        '$context.responseLatency',
        '$context.integrationLatency',
        '$context.integrationStatus',
        '$context.responseLength',
        '$context.protocol',
        '$context.identity.sourceIp',
        '$context.identity.userArn',
        '$context.integration.requestId',
      ]);
      expect(variables.filter((v) => !safe.has(v))).toEqual([]);
      expect(settings.Format).not.toMatch(/\$context\.path|\$request\.|userAgent|header|querystring|body/i);
    });
  });
});

/** Functions the construct creates (routes and stream consumers), each with an errors + throttles alarm. */
const FUNCTION_COUNT = HTTP_FUNCTIONS.length + STREAM_FUNCTIONS.length;
/** API 5xx, table throttles, table system errors, on-failure queue, one IteratorAge per stream consumer. */
const OTHER_ALARMS = 3 + 1 + STREAM_FUNCTIONS.length;

describe('alarms', () => {
  const { template } = synthesize();
  const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
  const withMetric = (name: string) => alarms.filter((alarm) => metricNames(alarm).includes(name));

  it('watch the API 5xx rate: 5xx over request count, in percent', () => {
    const [alarm, ...others] = withMetric('AWS/ApiGateway/5xx');
    expect(others).toEqual([]);
    expect(metricNames(alarm as CfnResource).sort()).toEqual(['AWS/ApiGateway/5xx', 'AWS/ApiGateway/Count']);
    expect(metricsOf(alarm as CfnResource).find((m) => m.Expression)?.Expression).toMatch(
      /100 \* errors \/ requests/,
    );
    expect(alarm?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('watch errors and throttles of every function, one alarm each', () => {
    const functionIds = Object.keys(resourcesOfType(template, 'AWS::Lambda::Function'));
    const lambdaAlarms = withMetric('AWS/Lambda/Errors');
    expect(lambdaAlarms).toHaveLength(FUNCTION_COUNT);
    const watched = lambdaAlarms.map((alarm) => {
      expect(metricNames(alarm).sort()).toEqual(['AWS/Lambda/Errors', 'AWS/Lambda/Throttles']);
      const dimensions = metricsOf(alarm).flatMap((m) => m.MetricStat?.Metric.Dimensions ?? []);
      const refs = new Set(dimensions.map((d) => (d.Value as { Ref: string }).Ref));
      expect(refs.size).toBe(1);
      return [...refs][0];
    });
    expect(watched.sort()).toEqual(functionIds.sort());
  });

  it('watch DynamoDB throttles and system errors on the table', () => {
    const tableId = Object.keys(resourcesOfType(template, 'AWS::DynamoDB::Table'))[0];
    for (const metric of ['AWS/DynamoDB/ThrottledRequests', 'AWS/DynamoDB/SystemErrors']) {
      const [alarm, ...others] = withMetric(metric);
      expect(others).toEqual([]);
      const dimensions = metricsOf(alarm as CfnResource).flatMap(
        (m) => m.MetricStat?.Metric.Dimensions ?? [],
      );
      expect(dimensions).toContainEqual({ Name: 'TableName', Value: { Ref: tableId } });
      // CloudWatch refuses alarms on expressions over more than 10 metrics.
      expect(metricsOf(alarm as CfnResource).filter((m) => m.MetricStat).length).toBeLessThanOrEqual(10);
    }
  });

  it('are exactly these, and notify nobody unless a topic is given', () => {
    expect(alarms).toHaveLength(FUNCTION_COUNT + OTHER_ALARMS);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toBeUndefined();
  });

  it('all notify the SNS topic given by -c alarmTopicArn, on alarm and on recovery', () => {
    const topicArn = `arn:aws:sns:${TEST_ENV.region}:${TEST_ENV.account}:oncall`;
    const notifying = resourcesOfType(
      synthesize({}, { alarmTopicArn: topicArn }).template,
      'AWS::CloudWatch::Alarm',
    );
    expect(Object.keys(notifying)).toHaveLength(FUNCTION_COUNT + OTHER_ALARMS);
    for (const alarm of Object.values(notifying)) {
      expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
      expect(alarm.Properties.OKActions).toEqual([topicArn]);
    }
  });
});

describe('stack outputs', () => {
  const { template } = synthesize();

  it('are the API URL, the table name, the event bus name and the on-failure queue to redrive', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(['ApiUrl', 'EventBusName', 'FailureQueueUrl', 'TableName']);
    const queueId = Object.keys(resourcesOfType(template, 'AWS::SQS::Queue'))[0];
    expect(outputs.FailureQueueUrl?.Value).toEqual({ Ref: queueId });
    const busId = Object.keys(resourcesOfType(template, 'AWS::Events::EventBus'))[0];
    expect(outputs.EventBusName?.Value).toEqual({ Ref: busId });
    const apiId = Object.keys(resourcesOfType(template, 'AWS::ApiGatewayV2::Api'))[0];
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(`{"Ref":"${apiId}"}`);
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(`.execute-api.${TEST_ENV.region}.`);
    const tableId = Object.keys(resourcesOfType(template, 'AWS::DynamoDB::Table'))[0];
    expect(outputs.TableName?.Value).toEqual({ Ref: tableId });
  });
});
