import { describe, expect, it } from 'vitest';
import {
  compileRouteScopes,
  methodArnPattern,
  missingScopes,
  ROUTE_SCOPES_ENV,
  routeScopesFromEnv,
} from '#commons/authorizer/route-scopes.ts';

const rules = compileRouteScopes([
  { route: '*', scopes: ['api'] },
  { route: 'POST /orders', scopes: ['write'] },
  { route: 'DELETE /orders/{id}', scopes: ['write', 'admin'] },
  { route: 'ANY /reports/*', scopes: ['reports'] },
]);

describe('route scopes', () => {
  it('requires the union of every matching rule', () => {
    expect(rules.required('GET', '/orders')).toEqual(['api']);
    expect(rules.required('POST', '/orders')).toEqual(['api', 'write']);
    expect(rules.required('DELETE', '/orders/{id}')).toEqual(['admin', 'api', 'write']);
    expect(rules.required('DELETE', '/orders/42')).toEqual(['admin', 'api', 'write']);
    expect(rules.required('get', '/reports/2024/q1')).toEqual(['api', 'reports']);
  });

  it('matches a path parameter against one segment only', () => {
    expect(rules.required('DELETE', '/orders/42/items')).toEqual(['api']);
  });

  it('names the scopes a token lacks', () => {
    expect(missingScopes(['api', 'write'], 'api read')).toEqual(['write']);
    expect(missingScopes([], '')).toEqual([]);
  });

  it('turns a rule into a method ARN resource pattern for REST policies', () => {
    expect(methodArnPattern('DELETE /orders/{id}')).toBe('DELETE/orders/*');
    expect(methodArnPattern('ANY /reports/*')).toBe('*/reports/*');
    expect(methodArnPattern('*')).toBe('*/*');
  });

  it('refuses malformed rules and malformed environment values', () => {
    expect(() => compileRouteScopes([{ route: 'FETCH /x', scopes: ['a'] }])).toThrow(/METHOD \/path/);
    expect(() => compileRouteScopes([{ route: 'GET /x', scopes: ['a b'] }])).toThrow(/scope tokens/);
    expect(() => routeScopesFromEnv({ [ROUTE_SCOPES_ENV]: '{' })).toThrow(ROUTE_SCOPES_ENV);
    expect(() => routeScopesFromEnv({ [ROUTE_SCOPES_ENV]: '[{"route":"GET /x"}]' })).toThrow(
      ROUTE_SCOPES_ENV,
    );
    expect(routeScopesFromEnv({}).required('GET', '/x')).toEqual([]);
  });
});
