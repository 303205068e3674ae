import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { ROUTE_SCOPES_ENV } from '#commons/authorizer/route-scopes.ts';
import { FUNCTIONS } from '#commons/manifest.ts';
import { TokenAuthorizer, type TokenAuthorizerProps, TokenRevocationService } from '#lib/index.ts';
import { ProtectedApiStack } from '../../examples/protected-api/app.ts';
import { CDK_JSON_CONTEXT, resourcesOfType, synthesize, TEST_ENV } from './support.ts';

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:210987654321:table/tokens';

function testApp() {
  return new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
}

/** A stack of someone else's app with an HTTP API and a REST API behind one TokenAuthorizer. */
function protectedApis(props: Partial<TokenAuthorizerProps> = {}) {
  const stack = new Stack(testApp(), 'Consumer', { env: TEST_ENV });
  const table = dynamodb.Table.fromTableArn(stack, 'Tokens', TABLE_ARN);
  const authorizer = new TokenAuthorizer(stack, 'Auth', { table, ...props });
  const http = new apigwv2.HttpApi(stack, 'Http');
  http.addRoutes({
    path: '/orders',
    methods: [apigwv2.HttpMethod.GET],
    integration: new HttpLambdaIntegration('I', authorizer.function),
    authorizer: authorizer.httpApiAuthorizer(),
  });
  const rest = new apigw.RestApi(stack, 'Rest');
  const integration = new apigw.LambdaIntegration(authorizer.function);
  rest.root.addMethod('GET', integration, { authorizer: authorizer.restTokenAuthorizer('RestToken') });
  rest.root.addMethod('POST', integration, { authorizer: authorizer.restRequestAuthorizer('RestRequest') });
  return { stack, authorizer, template: Template.fromStack(stack) };
}

describe('TokenAuthorizer', () => {
  it('gets dynamodb:BatchGetItem on the imported table and no other table right', () => {
    const { template } = protectedApis();
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement,
    );
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([{ Action: 'dynamodb:BatchGetItem', Effect: 'Allow', Resource: TABLE_ARN }]);
  });

  it('is an HTTP API REQUEST authorizer with simple responses, payload 2.0, and no result cache by default', () => {
    const { template } = protectedApis();
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: ['$request.header.Authorization'],
    });
  });

  it('gives REST APIs a TOKEN and a REQUEST authorizer, both uncached by default', () => {
    const { template } = protectedApis();
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: Match.stringLikeRegexp('Bearer|\\[Bb\\]'),
      AuthorizerResultTtlInSeconds: 0,
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it('takes a resultsCacheTtl and, with route scopes, caches per route key', () => {
    const { template } = protectedApis({
      resultsCacheTtl: Duration.seconds(30),
      requiredScopes: ['read'],
      routeScopes: { 'POST /orders': ['write'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerResultTtlInSeconds: 30,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ROUTE_SCOPES_ENV]: JSON.stringify([
            { route: '*', scopes: ['read'] },
            { route: 'POST /orders', scopes: ['write'] },
          ]),
        }),
      },
    });
  });

  it('refuses a malformed route scope rule at synth', () => {
    expect(() => protectedApis({ routeScopes: { '/orders': ['read'] } })).toThrow(/METHOD \/path/);
    expect(() => protectedApis({ routeScopes: { 'GET /orders': [] } })).toThrow(/scope tokens/);
  });

  it('is exported beside TokenRevocationService, and its manifest entry creates no route on the service API', () => {
    expect(typeof TokenRevocationService).toBe('function');
    expect(FUNCTIONS.find((entry) => entry.name === 'authorizer')?.trigger).toEqual({ type: 'authorizer' });
    const { template } = synthesize();
    const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey,
    );
    expect(routes.some((key) => String(key).includes('authorizer') || String(key).includes('demo'))).toBe(
      false,
    );
    const descriptions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Description,
    );
    expect(descriptions.some((d) => String(d).includes('authorizer'))).toBe(false);
  });
});

describe('examples/protected-api', () => {
  it('synthesizes: an HTTP API route GET /whoami behind the TokenAuthorizer on the table imported by name', () => {
    const stack = new ProtectedApiStack(testApp(), 'ProtectedApi', {
      env: TEST_ENV,
      tokenTableName: 'tokens',
    });
    const template = Template.fromStack(stack);
    const authorizers = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(1);
    const [authorizerId] = Object.keys(authorizers);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /whoami',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'dynamodb:BatchGetItem',
            Effect: 'Allow',
            Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/tokens',
          },
        ]),
      },
    });
  });

  it('takes the table name from context', () => {
    const app = new App({
      context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], tokenTableName: 'from-context' },
    });
    const template = Template.fromStack(new ProtectedApiStack(app, 'P', { env: TEST_ENV }));
    expect(JSON.stringify(template.toJSON())).toContain('table/from-context');
    expect(() => new ProtectedApiStack(testApp(), 'Q', { env: TEST_ENV })).toThrow(/tokenTableName/);
  });
});
