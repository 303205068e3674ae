import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCUMENT = 'docs/openapi.yaml';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type SecurityRequirement = Record<string, string[]>;
interface Header {
  schema?: { const?: unknown };
}
interface Response {
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: { properties?: Record<string, unknown> }; example?: unknown }>;
}
interface Operation {
  security?: SecurityRequirement[];
  responses: Record<string, Response>;
}
type PathItem = Partial<Record<(typeof METHODS)[number], Operation>>;
interface OpenApiDocument {
  security?: SecurityRequirement[];
  paths: Record<string, PathItem>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the project's Redocly CLI. Telemetry and the npm update check are switched off: CI reaches no
 * network but the npm registry, and a lint must not depend on one anyway.
 */
function redocly(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'node_modules/.bin/redocly'),
      args,
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The document as Redocly reads it, `$ref`s resolved. Redocly's own parser is the one the lint uses and
 * the only YAML parser the project has (no `yaml`/`js-yaml` is resolvable from the root).
 */
async function loadDocument(): Promise<OpenApiDocument> {
  const run = await redocly(['bundle', DOCUMENT, '--dereferenced', '--ext', 'json']);
  if (run.code !== 0) throw new Error(`redocly bundle failed (exit ${run.code}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as OpenApiDocument;
}

function operations(document: OpenApiDocument): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) found.set(`${method.toUpperCase()} ${path}`, operation);
    }
  }
  return found;
}

/**
 * The responses that may be cached: the RFC 8414 metadata and ([v3]) the SSF transmitter's metadata and
 * keys; their errors stay no-store like every other.
 */
const CACHEABLE = new Set([
  '200 GET /.well-known/oauth-authorization-server',
  '200 GET /.well-known/ssf-configuration',
  '200 GET /ssf/jwks',
]);

const schemesOf = (requirements: readonly SecurityRequirement[]) =>
  requirements.flatMap((requirement) => Object.keys(requirement));

describe(`OpenAPI description (${DOCUMENT})`, () => {
  let document: OpenApiDocument;
  let documented: Map<string, Operation>;

  beforeAll(async () => {
    document = await loadDocument();
    documented = operations(document);
  });

  it('documents exactly the routes of the route table, no more and no fewer', () => {
    expect([...documented.keys()].sort()).toEqual(HTTP_FUNCTIONS.map(routeKey).sort());
  });

  describe.each(HTTP_FUNCTIONS.map((route) => [routeKey(route), route] as const))('%s', (key, route) => {
    const { auth } = route.trigger;
    if (auth === 'iam') {
      it('requires a SigV4 signature and nothing else (IAM authorizer)', () => {
        expect(documented.get(key)?.security).toEqual([{ sigv4: [] }]);
      });
    } else {
      it('declares its own authentication, and not SigV4', () => {
        const security = documented.get(key)?.security ?? document.security ?? [];
        expect(security.length).toBeGreaterThan(0);
        expect(schemesOf(security)).not.toContain('sigv4');
      });
    }

    // The HTTP layer maps faults the same way on every route; only a handler that reads DynamoDB (or [v3]
    // the SSF keys in KMS) can 503.
    const readsTable = route.tableActions.length > 0 || route.ssf === 'keys';
    it(`documents 500 server_error${readsTable ? ' and 503 temporarily_unavailable with Retry-After' : ', and no 503 (it reads no table)'}`, () => {
      const responses = documented.get(key)?.responses ?? {};
      expect(responses['500']?.content?.['application/json']?.example).toEqual({ error: 'server_error' });
      if (!readsTable) {
        expect(responses).not.toHaveProperty('503');
        return;
      }
      expect(responses['503']?.content?.['application/json']?.example).toEqual({
        error: 'temporarily_unavailable',
      });
      expect(responses['503']?.headers).toHaveProperty('Retry-After');
    });

    it('declares Cache-Control: no-store and Pragma: no-cache on every response its handler writes', () => {
      const responses = Object.entries(documented.get(key)?.responses ?? {});
      // The IAM authorizer's 403 is API Gateway's own response, written before any handler runs.
      const fromHandler = responses.filter(([status]) => !(auth === 'iam' && status === '403'));
      expect(fromHandler.length).toBeGreaterThan(0);
      for (const [status, response] of fromHandler) {
        if (CACHEABLE.has(`${status} ${key}`)) {
          expect(response.headers?.['Cache-Control']?.schema?.const, status).toBe('public, max-age=3600');
          expect(response.headers, status).not.toHaveProperty('Pragma');
          continue;
        }
        expect(response.headers?.['Cache-Control']?.schema?.const, status).toBe('no-store');
        expect(response.headers?.Pragma?.schema?.const, status).toBe('no-cache');
      }
    });
  });

  it('documents a 4XX response on every operation but the SSF JWK Set, which no request can get wrong', () => {
    const without = [...documented]
      .filter(([, operation]) => !Object.keys(operation.responses).some((status) => status.startsWith('4')))
      .map(([key]) => key);
    expect(without).toEqual(['GET /ssf/jwks']);
  });

  it('describes the SigV4 scheme as an Authorization header with the service it signs for', () => {
    const scheme = document.components.securitySchemes.sigv4;
    expect(scheme).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(scheme?.description).toMatch(/execute-api/);
  });

  it('passes redocly lint (recommended-strict, see redocly.yaml) with no problems', async () => {
    const run = await redocly(['lint', DOCUMENT, '--config', 'redocly.yaml', '--format', 'json']);
    const report = JSON.parse(run.stdout) as { totals: unknown; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
    expect(run.code).toBe(0);
  });
});
