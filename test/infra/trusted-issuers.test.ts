/**
 * The construct's `trustedIssuers`: a Cognito user pool example that synthesizes (cdk-nag clean), the
 * deploy-time registration as a custom resource with least privilege, synth-time checks of what is known,
 * and nothing at all when no issuer is declared.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { cognitoUserPoolIssuer, TokenAuthorizer, TokenRevocationService } from '#lib/index.ts';
import { CDK_JSON_CONTEXT, resourcesOfType, synthesize, TEST_ENV } from './support.ts';

/** The README's example: a user pool and the service in one stack, the pool's tokens made revocable. */
function userPoolExample() {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Auth', { env: TEST_ENV });
  const pool = new cognito.UserPool(stack, 'Users', {
    passwordPolicy: { minLength: 12, requireSymbols: true, requireDigits: true, requireUppercase: true },
    mfa: cognito.Mfa.REQUIRED,
    mfaSecondFactor: { sms: false, otp: true },
    featurePlan: cognito.FeaturePlan.PLUS,
    standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  });
  const service = new TokenRevocationService(stack, 'Revocation', {
    trustedIssuers: [cognitoUserPoolIssuer(pool, { name: 'users' })],
  });
  new TokenAuthorizer(stack, 'Authorizer', { table: service.table });
  return { stack, service, template: Template.fromStack(stack) };
}

describe('trustedIssuers with a Cognito user pool', () => {
  const { stack, template } = userPoolExample();

  it('registers the pool at deploy: its issuer and JWK Set URLs, client_id and origin_jti as the family', () => {
    const resources = resourcesOfType(template, 'Custom::TrustedIssuers');
    expect(Object.keys(resources)).toHaveLength(1);
    const issuers = JSON.stringify(Object.values(resources)[0]?.Properties.Issuers);
    expect(issuers).toContain('https://cognito-idp.eu-west-1.amazonaws.com/');
    expect(issuers).toContain('/.well-known/jwks.json');
    expect(issuers).toContain('\\"familyClaim\\":\\"origin_jti\\"');
    expect(issuers).toContain('\\"clientIdClaims\\":[\\"client_id\\"]');
    // The pool id is resolved at deploy.
    expect(issuers).toMatch(/"Ref":"Users[0-9A-F]+"/);
  });

  it('gives the registration function GetItem and PutItem on issuer items only, and nothing else of the table', () => {
    const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'));
    const statements = policies
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('TrustedIssuersFunctionRole'))
      .flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
      );
    const dynamo = statements.filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RevocationTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['issuer#*'] } },
      },
    ]);
  });

  it('leaves the authorizer its one read: BatchGetItem on the table', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const authorizer = Object.entries(functions).find(([id]) => id.startsWith('AuthorizerFunction'));
    if (!authorizer) throw new Error('no authorizer function');
    const role = (authorizer[1].Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
      .flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement,
      );
    const dynamo = statements
      .flatMap((s) => [s.Action].flat())
      .filter((a) => String(a).startsWith('dynamodb:'));
    expect(dynamo).toEqual(['dynamodb:BatchGetItem']);
  });

  it('passes cdk-nag (AwsSolutions) with nothing left unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
  });
});

describe('trustedIssuers checked at synth', () => {
  const host = () =>
    new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Host', { env: TEST_ENV });

  it('refuses a registration the admin API would refuse, naming the entry and the field', () => {
    expect(
      () =>
        new TokenRevocationService(host(), 'Service', {
          trustedIssuers: [{ issuer: 'https://a.example.test', jwksUri: 'http://a.example.test/jwks' }],
        }),
    ).toThrow(/trustedIssuers\[0\]: "jwksUri" must be an https URL/);
    expect(
      () =>
        new TokenRevocationService(host(), 'Service', {
          trustedIssuers: [
            {
              issuer: 'https://a.example.test',
              jwksUri: 'https://a.example.test/jwks',
              algorithms: ['HS256' as never],
            },
          ],
        }),
    ).toThrow(/"algorithms"/);
  });

  it('refuses one issuer declared twice', () => {
    const issuer = { issuer: 'https://a.example.test', jwksUri: 'https://a.example.test/jwks' };
    expect(() => new TokenRevocationService(host(), 'Service', { trustedIssuers: [issuer, issuer] })).toThrow(
      /twice/,
    );
  });

  it('creates nothing for trusted issuers when none is declared', () => {
    const { template } = synthesize();
    expect(Object.keys(resourcesOfType(template, 'Custom::TrustedIssuers'))).toEqual([]);
  });
});
