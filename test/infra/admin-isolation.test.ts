import { describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import { type CfnResource, resourcesOfType, synthesize, synthesizeConstruct } from './support.ts';

const ADMIN_KEYS = HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'iam').map(routeKey);

function stageOf(
  template: ReturnType<typeof synthesize>['template'],
): CfnResource & { DependsOn?: string[] } {
  const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
  expect(stages).toHaveLength(1);
  return stages[0] as CfnResource & { DependsOn?: string[] };
}

describe('admin isolation', () => {
  it('gives every admin route, and only admin routes, its own throttling on the stage (default 50 rps, burst 100)', () => {
    const stage = stageOf(synthesize().template);
    expect(stage.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 1000,
      ThrottlingBurstLimit: 500,
    });
    const settings = stage.Properties.RouteSettings as Record<string, unknown>;
    expect(Object.keys(settings).sort()).toEqual([...ADMIN_KEYS].sort());
    expect(ADMIN_KEYS.length).toBeGreaterThan(10);
    for (const key of ADMIN_KEYS) {
      expect(settings[key]).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    }
    expect(settings['POST /oauth2/token']).toBeUndefined();
  });

  it('takes the admin rate and burst as props', () => {
    const { template } = synthesizeConstruct(() => ({
      adminThrottlingRateLimit: 7,
      adminThrottlingBurstLimit: 9,
    }));
    const settings = stageOf(template).Properties.RouteSettings as Record<string, unknown>;
    expect(settings['DELETE /admin/clients/{clientId}/tokens']).toEqual({
      ThrottlingRateLimit: 7,
      ThrottlingBurstLimit: 9,
    });
  });

  it('deploys the stage after the admin routes its settings name', () => {
    const { template } = synthesize();
    const stage = stageOf(template);
    const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');
    const adminRouteIds = Object.entries(routes)
      .filter(([, route]) => ADMIN_KEYS.includes(String(route.Properties.RouteKey)))
      .map(([id]) => id);
    expect(adminRouteIds).toHaveLength(ADMIN_KEYS.length);
    for (const id of adminRouteIds) expect(stage.DependsOn).toContain(id);
  });

  it('reserves no concurrency by default', () => {
    const fns = Object.values(resourcesOfType(synthesize().template, 'AWS::Lambda::Function'));
    expect(fns.filter((fn) => fn.Properties.ReservedConcurrentExecutions !== undefined)).toEqual([]);
  });

  it('reserves concurrency for the revoke function and each admin function when asked, and for no other', () => {
    const { template } = synthesizeConstruct(() => ({
      revokeReservedConcurrency: 20,
      adminReservedConcurrency: 3,
    }));
    const fns = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'));
    const byDescription = new Map(fns.map((fn) => [String(fn.Properties.Description), fn]));
    expect(byDescription.get('POST /oauth2/revoke')?.Properties.ReservedConcurrentExecutions).toBe(20);
    for (const key of ADMIN_KEYS)
      expect(byDescription.get(key)?.Properties.ReservedConcurrentExecutions).toBe(3);
    for (const key of ['POST /oauth2/token', 'POST /oauth2/introspect', 'DELETE /oauth/token']) {
      expect(byDescription.get(key)?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => synthesizeConstruct(() => ({ adminReservedConcurrency: 0 }))).toThrow(/positive integer/);
    expect(() => synthesizeConstruct(() => ({ adminThrottlingRateLimit: 1.5 }))).toThrow(/positive integer/);
  });
});
