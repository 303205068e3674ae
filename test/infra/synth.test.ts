import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLimitOf } from '#bundling/handlers.ts';
import { BUNDLE_AWS_SDK, ESM_REQUIRE_BANNER } from '#bundling/options.ts';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import { PROJECT_ROOT } from '#lib/service-function.ts';
import { functionDescription } from '#lib/token-revocation-service.ts';
import { SERVICE_FUNCTIONS } from './support.ts';

const CDK_CLI = path.join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
/**
 * A bundle larger than its limit means a dependency was pulled in by accident, or an alias in
 * bundling/options.ts stopped matching (bundling/handlers.ts `bundleLimitOf`; docs/BENCHMARKS.md).
 */
const LIMIT_BY_DESCRIPTION = new Map(
  SERVICE_FUNCTIONS.map((entry) => [functionDescription(entry), bundleLimitOf(entry)]),
);

interface Template {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

/**
 * The one full synth of the suite: `cdk synth` of the real app (bin/app.ts through cdk.json), as
 * `npm run synth` runs it, with bundling, cdk-nag and the built-in CloudFormation validator, and without
 * AWS credentials.
 */
describe('cdk synth of the real app', () => {
  let outdir = '';
  let result: { stdout: string; stderr: string; code: number };
  let template: Template;

  beforeAll(async () => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-revocation-synth-'));
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' };
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'NODE_ENV',
    ]) {
      delete env[name];
    }
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [CDK_CLI, 'synth', '--quiet', '--output', outdir],
        { cwd: PROJECT_ROOT, env, maxBuffer: 64 * 1024 * 1024 },
      );
      result = { stdout, stderr, code: 0 };
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; code?: number };
      result = {
        stdout: failed.stdout ?? '',
        stderr: failed.stderr ?? String(error),
        code: failed.code ?? 1,
      };
    }
    if (result.code === 0) {
      template = JSON.parse(fs.readFileSync(path.join(outdir, 'TokenRevocation.template.json'), 'utf8'));
    }
  }, 180_000);

  afterAll(() => {
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  });

  it('succeeds offline, without credentials', () => {
    expect(result.stderr).not.toMatch(/ValidationFailed|Error:/);
    expect(result.code).toBe(0);
  });

  it('leaves cdk-nag AwsSolutions and the CloudFormation validator nothing unacknowledged, warnings included', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('ran cdk-nag: its acknowledgements are in the template, each with a written reason', () => {
    const acknowledged = Object.values(template.Resources).flatMap((r) => {
      const nag = r.Metadata?.cdk_nag as { rules_to_suppress: { id: string; reason: string }[] } | undefined;
      return (nag?.rules_to_suppress ?? []).map((rule) => ({ ...rule, resource: r }));
    });
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const rule of acknowledged) expect(rule.reason.length).toBeGreaterThan(40);
    // APIG4 (no authorizer) is acknowledged on exactly the routes the route table declares public.
    const apig4 = acknowledged
      .filter((rule) => rule.id === 'AwsSolutions-APIG4')
      .map((rule) => rule.resource);
    expect(apig4.every((r) => r.Type === 'AWS::ApiGatewayV2::Route')).toBe(true);
    expect(apig4.map((r) => r.Properties.RouteKey).sort()).toEqual(
      HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'none')
        .map(routeKey)
        .sort(),
    );
    // SQS3 (no DLQ behind a queue) only on the stream's on-failure queue and the SSF deliverer's
    // dead-letter queue, which are themselves dead-letter queues.
    const sqs3 = acknowledged.filter((rule) => rule.id === 'AwsSolutions-SQS3').map((rule) => rule.resource);
    expect(sqs3.map((r) => r.Type)).toEqual(['AWS::SQS::Queue', 'AWS::SQS::Queue']);
  });

  it('bundles every function into an ESM file with a source map of our own sources, within budget', () => {
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(SERVICE_FUNCTIONS.length);
    for (const fn of functions) {
      const assetDir = path.join(outdir, String(fn.Metadata?.['aws:asset:path']));
      const code = fs.readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      // The after-bundling hook cut the map to our own sources (bundling/source-map-trim.ts).
      const map = JSON.parse(fs.readFileSync(path.join(assetDir, 'index.mjs.map'), 'utf8'));
      expect(map.sources.some((s: string) => /functions\/[\w-]+\/index\.ts$/.test(s))).toBe(true);
      expect(map.sources.filter((s: string) => s.includes('node_modules/'))).toEqual([]);
      const limit = LIMIT_BY_DESCRIPTION.get(String(fn.Properties?.Description));
      expect(limit).toBeDefined();
      expect(Buffer.byteLength(code)).toBeLessThanOrEqual(limit ?? 0);
      // With the SDK bundled nothing may be left to the runtime's copy, and the reverse.
      expect(/from\s*"@aws-sdk\//.test(code)).toBe(!BUNDLE_AWS_SDK);
    }
  });

  it("bundles only the environment credential provider: none of the default chain's other sources", () => {
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    // A function that calls no AWS service (RFC 8414 and SSF metadata) loads no AWS SDK client at all;
    // the publisher calls EventBridge only, ssf-jwks KMS only.
    const touching = new Set(
      SERVICE_FUNCTIONS.filter(
        (entry) => entry.tableActions.length > 0 || entry.events === 'put' || entry.ssf !== undefined,
      ).map(functionDescription),
    );
    expect(functions.filter((fn) => touching.has(String(fn.Properties?.Description)))).toHaveLength(
      touching.size,
    );
    for (const fn of functions) {
      const assetDir = path.join(outdir, String(fn.Metadata?.['aws:asset:path']));
      const code = fs.readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      if (!touching.has(String(fn.Properties?.Description))) {
        expect(code).not.toContain('AWS_SECRET_ACCESS_KEY');
        continue;
      }
      expect(code).toContain('AWS_SECRET_ACCESS_KEY');
      // Container metadata, web identity, SSO and credential_process: the chain the alias leaves out.
      expect(code).not.toMatch(
        /AWS_CONTAINER_CREDENTIALS_FULL_URI|AWS_WEB_IDENTITY_TOKEN_FILE|sso_start_url|credential_process/,
      );
    }
  });
});
