/**
 * The npm package as a user gets it: `npm pack` (which builds dist/ through `prepack`), installed with npm
 * into a fresh CDK app outside this repository, imported by name from plain JavaScript (no TypeScript, no
 * esbuild, no tsx) and synthesized offline. aws-cdk-lib and constructs, the peer dependencies, are linked
 * from this repository's node_modules so the install needs no network. The same build's prebuilt handlers
 * are checked against the bundle size limit.
 */

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_LIMIT_BYTES } from '#bundling/handlers.ts';
import { FUNCTIONS } from '#commons/manifest.ts';
import { PROJECT_ROOT } from '#lib/service-function.ts';

interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly files: readonly { readonly path: string }[];
}

const STACK = 'UserStack';

/** The parts of an `AWS::Lambda::Function` the test reads. */
interface LambdaProps {
  readonly Handler?: string;
  readonly Runtime?: string;
  readonly Code: { readonly S3Key?: unknown };
}

/** The user's app: both constructs from the package, the authorizer against the service's own table. */
const APP = `
import { App, Stack } from 'aws-cdk-lib';
import { TokenAuthorizer, TokenRevocationService } from 'oauth-token-revocation';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, '${STACK}', { env: { account: '123456789012', region: 'eu-west-1' } });
const service = new TokenRevocationService(stack, 'Revocation', {});
new TokenAuthorizer(stack, 'Authorizer', { table: service.table });
app.synth();
`;

/**
 * The README's Cognito example, exactly as a user pastes it (TypeScript without a type in it, so it runs
 * as JavaScript); CDK_OUTDIR tells its App where to write.
 */
function readmeCognitoApp(): string {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('In your CDK app, a Cognito user pool');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (at < 0 || !block) throw new Error('README.md has no Cognito example');
  return `${block}app.synth();\n`;
}

let work: string;
let readmeOutdir: string;
let packed: PackResult;
let outdir: string;
let installed: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-test-'));
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], PROJECT_ROOT)) as [PackResult];

  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'user-app',
      private: true,
      type: 'module',
      dependencies: { 'oauth-token-revocation': `file:${path.join(work, packed.filename)}` },
    }),
  );
  fs.writeFileSync(path.join(app, 'app.mjs'), APP);
  // The package itself installs with no network (it has no dependencies); the peers are then linked in
  // (`--legacy-peer-deps` keeps npm from fetching them).
  npm(['install', '--offline', '--ignore-scripts', '--legacy-peer-deps'], app);
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(
      path.join(PROJECT_ROOT, 'node_modules', peer),
      path.join(app, 'node_modules', peer),
      'dir',
    );
  }
  installed = path.join(app, 'node_modules', 'oauth-token-revocation');
  outdir = path.join(work, 'cdk.out');
  // No AWS credentials or region: synth must not need them.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  execFileSync(process.execPath, ['app.mjs', outdir], { cwd: app, env, stdio: 'pipe' });
  fs.writeFileSync(path.join(app, 'readme.mjs'), readmeCognitoApp());
  readmeOutdir = path.join(work, 'cdk.readme.out');
  execFileSync(process.execPath, ['readme.mjs'], {
    cwd: app,
    env: { ...env, CDK_OUTDIR: readmeOutdir },
    stdio: 'pipe',
  });
}, 240_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  it('ships the compiled constructs, their declarations and the prebuilt handlers, no TypeScript sources', () => {
    const files = packed.files.map((file) => file.path);
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'README.md']),
    );
    for (const { name } of FUNCTIONS) expect(files).toContain(`dist/handlers/${name}/index.mjs`);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.startsWith('test/') || file.startsWith('functions/'))).toEqual([]);
  });

  it('declares aws-cdk-lib and constructs as peer dependencies and nothing else to install', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(manifest.dependencies).toBeUndefined();
  });

  it('synthesizes a user app that imports it by name, each function deploying its prebuilt handler', () => {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK}.template.json`), 'utf8'));
    const assets = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK}.assets.json`), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Properties: LambdaProps }>,
    )
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Properties);
    const ours = functions.filter(
      (props) => props.Handler === 'index.handler' && props.Runtime === 'nodejs24.x',
    );
    expect(ours.length).toBeGreaterThanOrEqual(FUNCTIONS.length - 1);
    const deployed = new Set<string>();
    for (const props of ours) {
      const hash = String(props.Code.S3Key).replace(/\.zip$/, '');
      const source = assets.files[hash]?.source;
      expect(source?.packaging).toBe('zip');
      deployed.add(fs.readFileSync(path.join(outdir, source.path, 'index.mjs'), 'utf8'));
    }
    const prebuilt = new Set(
      FUNCTIONS.map(({ name }) =>
        fs.readFileSync(path.join(installed, 'dist', 'handlers', name, 'index.mjs'), 'utf8'),
      ),
    );
    // Every function deploys one of the package's prebuilt handlers, byte for byte.
    for (const code of deployed) expect(prebuilt.has(code)).toBe(true);
    expect(deployed.size).toBeGreaterThanOrEqual(FUNCTIONS.length - 1);
  });

  it(`keeps every function bundle within ${BUNDLE_LIMIT_BYTES} bytes`, () => {
    const sizes = Object.fromEntries(
      FUNCTIONS.map(({ name }) => [
        name,
        fs.statSync(path.join(installed, 'dist', 'handlers', name, 'index.mjs')).size,
      ]),
    );
    const over = Object.entries(sizes).filter(([, bytes]) => bytes > BUNDLE_LIMIT_BYTES);
    expect(over).toEqual([]);
    expect(Math.min(...Object.values(sizes))).toBeGreaterThan(10_000);
  });

  it("synthesizes the README's Cognito example: the user pool registered as a trusted issuer at deploy", () => {
    const template = JSON.parse(fs.readFileSync(path.join(readmeOutdir, 'Auth.template.json'), 'utf8'));
    const registrations = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { Issuers?: unknown } }>,
    ).filter((resource) => resource.Type === 'Custom::TrustedIssuers');
    expect(registrations).toHaveLength(1);
    const issuers = JSON.stringify(registrations[0]?.Properties.Issuers);
    expect(issuers).toContain('https://cognito-idp.eu-west-1.amazonaws.com/');
    expect(issuers).toContain('\\"familyClaim\\":\\"origin_jti\\"');
  });
});
