/**
 * Scopes an authorizer requires, per route. One authorizer can guard many routes of an API, each with
 * its own scopes, because the rules travel with the function (one environment variable) instead of one
 * authorizer per scope set. Nothing here knows about API Gateway events; `events.ts` adapts them.
 *
 * A rule's `route` is `METHOD PATH`:
 * - METHOD: an HTTP method, or `ANY` / `*` for every method;
 * - PATH: a path where `{name}` (and `{name+}`) stands for one segment and a trailing `*` for anything
 *   after it, e.g. `GET /orders/{id}`, `POST /orders`, `* /admin/*`;
 * - the route `*` alone matches every request (what `requiredScopes` of the construct becomes).
 * A request needs the scopes of EVERY rule that matches it (their union), so adding a rule can only
 * narrow access, never widen it.
 */

/** One rule: the scopes a token must hold for the requests `route` matches. */
export interface RouteScopeRule {
  readonly route: string;
  readonly scopes: readonly string[];
}

/** The environment variable holding the rules as JSON (`RouteScopeRule[]`). */
export const ROUTE_SCOPES_ENV = 'AUTHORIZER_ROUTE_SCOPES';

const METHOD = /^(?:ANY|\*|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/;
/** RFC 6749 3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

interface Compiled {
  readonly rule: RouteScopeRule;
  readonly method: string | undefined;
  readonly path: RegExp | undefined;
}

/** A compiled set of rules: which scopes a request needs. */
export interface RouteScopes {
  readonly rules: readonly RouteScopeRule[];
  /** The scopes a request to `METHOD /path` (or an HTTP API route key) needs; empty when none. */
  required(method: string, path: string): string[];
}

function splitRoute(route: string): { method: string; path: string } | undefined {
  if (route === '*') return { method: '*', path: '*' };
  const match = /^(\S+) (\/\S*)$/.exec(route);
  if (!match?.[1] || !match[2] || !METHOD.test(match[1])) return undefined;
  return { method: match[1], path: match[2] };
}

function pathPattern(path: string): RegExp | undefined {
  if (path === '*') return undefined;
  const trailing = path.endsWith('*');
  const body = (trailing ? path.slice(0, -1) : path)
    .split(/(\{[^}/]+\})/)
    .map((part) => (/^\{[^}/]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}${trailing ? '.*' : ''}$`);
}

/**
 * Checks rules and compiles them; throws naming the first bad rule, so the construct fails at synth and
 * a hand-edited variable fails the cold start, never an authorization.
 */
export function compileRouteScopes(rules: readonly RouteScopeRule[]): RouteScopes {
  const compiled: Compiled[] = rules.map((rule) => {
    const parts = splitRoute(rule.route);
    if (!parts) {
      throw new Error(
        `route scopes: ${JSON.stringify(rule.route)} is not "METHOD /path" (METHOD an HTTP method, ANY or *) or "*"`,
      );
    }
    if (rule.scopes.length === 0 || !rule.scopes.every((scope) => SCOPE_TOKEN.test(scope))) {
      throw new Error(`route scopes: ${JSON.stringify(rule.route)} needs one or more RFC 6749 scope tokens`);
    }
    const method = parts.method === '*' || parts.method === 'ANY' ? undefined : parts.method;
    return { rule, method, path: pathPattern(parts.path) };
  });
  return {
    rules,
    required(method, path) {
      const needed = new Set<string>();
      for (const { rule, method: ruleMethod, path: rulePath } of compiled) {
        if (ruleMethod !== undefined && ruleMethod !== method.toUpperCase()) continue;
        if (rulePath !== undefined && !rulePath.test(path)) continue;
        for (const scope of rule.scopes) needed.add(scope);
      }
      return [...needed].sort();
    },
  };
}

/** Parses the rules from their environment variable (unset or empty: no rule). */
export function routeScopesFromEnv(env: NodeJS.ProcessEnv): RouteScopes {
  const raw = env[ROUTE_SCOPES_ENV];
  if (raw === undefined || raw === '') return compileRouteScopes([]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${ROUTE_SCOPES_ENV} must be a JSON array of {"route","scopes"}`);
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.every(
      (rule: unknown) =>
        typeof rule === 'object' &&
        rule !== null &&
        typeof (rule as RouteScopeRule).route === 'string' &&
        Array.isArray((rule as RouteScopeRule).scopes) &&
        (rule as RouteScopeRule).scopes.every((scope) => typeof scope === 'string'),
    );
  if (!valid) throw new Error(`${ROUTE_SCOPES_ENV} must be a JSON array of {"route","scopes"}`);
  return compileRouteScopes(parsed as RouteScopeRule[]);
}

/** The scopes of `required` that a space-separated `granted` scope string lacks. */
export function missingScopes(required: readonly string[], granted: string): string[] {
  const held = new Set(granted.split(' ').filter(Boolean));
  return required.filter((scope) => !held.has(scope));
}

/**
 * The IAM resource pattern (after `arn:...:apiId/stage/`) of a rule's route, for REST API policies:
 * `GET /orders/{id}` -> `GET/orders/*`. A path parameter becomes `*`, which in IAM also spans `/`, so a
 * cached Deny may cover deeper paths than the rule: it only ever denies more, never allows more.
 */
export function methodArnPattern(route: string): string {
  const parts = splitRoute(route);
  if (!parts) throw new Error(`not a route: ${JSON.stringify(route)}`);
  const method = parts.method === 'ANY' ? '*' : parts.method;
  if (parts.path === '*') return `${method}/*`;
  return `${method}/${parts.path.slice(1).replace(/\{[^}/]+\}/g, '*')}`;
}
