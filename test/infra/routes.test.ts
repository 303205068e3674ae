import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ENV } from '#commons/config.ts';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import { type CfnResource, resource, resourcesOfType, ssfVariablesOf, synthesize } from './support.ts';

/** The route functions of a template (described by their route key); stream consumers: streams.test.ts. */
function routeFunctionsOf(template: Template): Record<string, CfnResource> {
  const keys = new Set(HTTP_FUNCTIONS.map(routeKey));
  return Object.fromEntries(
    Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).filter(([, fn]) =>
      keys.has(fn.Properties.Description as string),
    ),
  );
}

const { template } = synthesize();
const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');
const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
const functions = routeFunctionsOf(template);

/** Logical id of the function an API route invokes, followed through its integration. */
function functionOfRoute(routeLogicalId: string): string {
  const target = resource(routes, routeLogicalId).Properties.Target as { 'Fn::Join': [string, unknown[]] };
  const integrationRef = target['Fn::Join'][1][1] as { Ref: string };
  const uri = resource(integrations, integrationRef.Ref).Properties.IntegrationUri as {
    'Fn::GetAtt': [string];
  };
  return uri['Fn::GetAtt'][0];
}

function routeLogicalId(key: string): string {
  const found = Object.entries(routes).find(([, route]) => route.Properties.RouteKey === key);
  if (!found) throw new Error(`no API route ${key}`);
  return found[0];
}

describe('HTTP API routes', () => {
  it('are exactly the route table, no more and no fewer', () => {
    const deployed = Object.values(routes).map((route) => route.Properties.RouteKey);
    expect(deployed.sort()).toEqual(HTTP_FUNCTIONS.map(routeKey).sort());
  });

  it.each(HTTP_FUNCTIONS.map((route) => [routeKey(route), route] as const))(
    '%s has the IAM authorizer exactly when the route table says auth iam',
    (key, route) => {
      const properties = resource(routes, routeLogicalId(key)).Properties;
      expect(properties.AuthorizationType).toBe(route.trigger.auth === 'iam' ? 'AWS_IAM' : 'NONE');
    },
  );

  it('gives every route its own function, described by its route key', () => {
    const invoked = HTTP_FUNCTIONS.map((route) => functionOfRoute(routeLogicalId(routeKey(route))));
    expect(new Set(invoked).size).toBe(HTTP_FUNCTIONS.length);
    for (const [i, route] of HTTP_FUNCTIONS.entries()) {
      expect(resource(functions, invoked[i] ?? '').Properties.Description).toBe(routeKey(route));
    }
  });

  it('invokes the functions with the payload format 2.0 the handlers parse', () => {
    expect(Object.keys(integrations)).toHaveLength(HTTP_FUNCTIONS.length);
    for (const integration of Object.values(integrations)) {
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    }
  });

  it('lets API Gateway invoke each function only from its own route', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Permission',
      { Principal: 'apigateway.amazonaws.com', SourceArn: Match.anyValue() },
      HTTP_FUNCTIONS.length,
    );
  });
});

describe('Lambda functions', () => {
  it('is one per route', () => {
    expect(Object.keys(functions)).toHaveLength(HTTP_FUNCTIONS.length);
  });

  it('run Node.js 24 on ARM64 with ESM bundles, 512 MB and a 15 s timeout', () => {
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 15,
      });
    }
  });

  it('are configured through the shared config names only, never with a DynamoDB endpoint override', () => {
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    for (const entry of HTTP_FUNCTIONS) {
      const fn = resource(functions, functionOfRoute(routeLogicalId(routeKey(entry))));
      const route = routeKey(entry);
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      // [v3] The functions that derive subject keys get the subject key secret's ARN, never its value.
      const readsSubjectKey =
        HTTP_FUNCTIONS.find((entry) => routeKey(entry) === route)?.subjectKey === 'read';
      expect(Object.keys(variables).sort()).toEqual(
        [
          ENV.tableName,
          ENV.retryAfterSeconds,
          'NODE_OPTIONS',
          'POWERTOOLS_SERVICE_NAME',
          'POWERTOOLS_METRICS_NAMESPACE',
          // [v3] The SSF queue or keys, for the routes whose manifest entry names an `ssf` right.
          ...ssfVariablesOf(entry),
          ...(readsSubjectKey ? [ENV.subjectKeySecretArn] : []),
        ].sort(),
      );
      if (readsSubjectKey) expect(variables[ENV.subjectKeySecretArn]).toEqual({ Ref: secretId });
      expect(variables[ENV.tableName]).toEqual({ Ref: tableId });
      expect(variables[ENV.dynamoDbEndpoint]).toBeUndefined();
      expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'token-revocation',
        POWERTOOLS_METRICS_NAMESPACE: 'TokenRevocation',
      });
    }
  });

  it('[v3] get the subject key secret generated by Secrets Manager at deploy: no value in the template', () => {
    const secrets = Object.values(resourcesOfType(template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    const [secret] = secrets;
    expect(secret?.Properties.GenerateSecretString).toMatchObject({
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    expect(secret?.Properties.SecretString).toBeUndefined();
    // Kept with the table (RETAIN by default): a new secret would re-key every subject.
    expect(secret?.DeletionPolicy).toBe('Retain');
  });

  it('are traced actively with X-Ray', () => {
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('each log to their own log group, which expires its events', () => {
    const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    const used = Object.values(functions).map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(new Set(used).size).toBe(HTTP_FUNCTIONS.length);
    for (const id of used) {
      expect(resource(logGroups, id).Properties.RetentionInDays).toBe(30);
      expect(resource(logGroups, id).DeletionPolicy).toBe('Retain');
    }
  });

  it('get ISSUER only when the issuer prop (or -c issuer) names one, checked at synth', () => {
    const issuer = 'https://auth.example.com';
    for (const synthesized of [synthesize({ service: { issuer } }), synthesize({}, { issuer })]) {
      const fns = Object.values(routeFunctionsOf(synthesized.template));
      expect(fns).toHaveLength(HTTP_FUNCTIONS.length);
      for (const fn of fns) {
        const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(variables[ENV.issuer]).toBe(issuer);
      }
    }
    for (const fn of Object.values(functions)) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[ENV.issuer]).toBeUndefined();
    }
    expect(() => synthesize({ service: { issuer: 'http://auth.example.com' } })).toThrow(
      /issuer must be an RFC 8414 issuer URL: https is required/,
    );
    expect(() => synthesize({}, { issuer: 'https://auth.example.com/' })).toThrow(/no trailing slash/);
  });

  it('take memory, log retention and Retry-After from props', () => {
    const custom = synthesize({
      service: { memorySize: 1024, logRetention: RetentionDays.ONE_WEEK, retryAfterSeconds: 5 },
    }).template;
    const fns = Object.values(routeFunctionsOf(custom));
    expect(fns).toHaveLength(HTTP_FUNCTIONS.length);
    const groups = resourcesOfType(custom, 'AWS::Logs::LogGroup');
    for (const fn of fns) {
      expect(fn.Properties.MemorySize).toBe(1024);
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[ENV.retryAfterSeconds]).toBe('5');
      const groupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resource(groups, groupId).Properties.RetentionInDays).toBe(7);
    }
  });
});
