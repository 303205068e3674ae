import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ENV } from '#commons/config.ts';
import { HTTP_FUNCTIONS, QUEUE_FUNCTIONS, routeKey, STREAM_FUNCTIONS } from '#commons/manifest.ts';
import { functionDescription } from '#lib/token-revocation-service.ts';
import {
  type CfnResource,
  resourcesOfType,
  SERVICE_FUNCTIONS,
  synthesize,
  synthesizeConstruct,
} from './support.ts';

const variablesOf = (fn: CfnResource) =>
  (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

/** Each function's ADMIN_PRINCIPAL_ARNS by route key (functions are described by their route key). */
function allowListByRoute(functions: Record<string, CfnResource>): Map<string, unknown> {
  return new Map(
    Object.values(functions).map((fn) => [
      fn.Properties.Description as string,
      variablesOf(fn)[ENV.adminPrincipalArns],
    ]),
  );
}

const ADMIN_ROUTES = HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'iam').map(routeKey);
/** Every other function: the OAuth routes, the metadata route and the stream consumers. */
const OTHER_ROUTES = [
  ...HTTP_FUNCTIONS.filter((route) => route.trigger.auth !== 'iam').map(routeKey),
  ...STREAM_FUNCTIONS.map(functionDescription),
  ...QUEUE_FUNCTIONS.map(functionDescription),
];
const LIST = ['arn:aws:iam::123456789012:role/ops/Operators', 'arn:aws:iam::123456789012:user/break-glass'];

describe('adminPrincipalArns (the admin principal allow-list)', () => {
  it('sets ADMIN_PRINCIPAL_ARNS on the admin functions only, comma-separated', () => {
    for (const { template } of [
      synthesize({ service: { adminPrincipalArns: LIST } }),
      synthesize({}, { adminPrincipalArns: LIST.join(' , ') }),
    ]) {
      const byRoute = allowListByRoute(resourcesOfType(template, 'AWS::Lambda::Function'));
      expect(ADMIN_ROUTES.length).toBeGreaterThan(0);
      for (const route of ADMIN_ROUTES) expect(byRoute.get(route), route).toBe(LIST.join(','));
      for (const route of OTHER_ROUTES) expect(byRoute.get(route), route).toBeUndefined();
    }
  });

  it('leaves every function without it by default', () => {
    const byRoute = allowListByRoute(resourcesOfType(synthesize().template, 'AWS::Lambda::Function'));
    expect(byRoute.size).toBe(SERVICE_FUNCTIONS.length);
    for (const value of byRoute.values()) expect(value).toBeUndefined();
  });

  it('takes a role created in the same stack (an ARN known only at deploy time)', () => {
    const { template } = synthesizeConstruct((stack) => ({
      adminPrincipalArns: [
        new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() }).roleArn,
      ],
    }));
    const byRoute = allowListByRoute(resourcesOfType(template, 'AWS::Lambda::Function'));
    const value = byRoute.get(ADMIN_ROUTES[0] ?? '');
    expect(JSON.stringify(value)).toMatch(/Operators.*Arn/);
  });

  it('refuses at synth an empty list or an entry that is not an IAM user or role ARN', () => {
    expect(() => synthesize({ service: { adminPrincipalArns: [] } })).toThrow(
      /adminPrincipalArns must list at least one/,
    );
    expect(() => synthesize({ service: { adminPrincipalArns: ['arn:aws:iam::123456789012:root'] } })).toThrow(
      /adminPrincipalArns must list IAM user or role ARNs/,
    );
    expect(() =>
      synthesize({
        service: { adminPrincipalArns: ['arn:aws:sts::123456789012:assumed-role/Operators/me'] },
      }),
    ).toThrow(/adminPrincipalArns must list IAM user or role ARNs/);
  });
});
