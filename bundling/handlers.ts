/**
 * Every function of the manifest bundled with the construct's esbuild settings, in one process: the
 * prebuilt handlers the npm package ships (`dist/handlers/<name>/index.mjs`, built by `npm run build`),
 * the bundle sizes `npm run bench -- bundles` prints, and the size limit a test asserts all come from here,
 * so they measure exactly what a deployment runs.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as esbuild from 'esbuild';
import { FUNCTIONS, type FunctionEntry } from '#commons/manifest.ts';
import { handlerEntry, PROJECT_ROOT } from '#lib/service-function.ts';
import { BUNDLING } from './options.ts';
import { trimSourceMapFile } from './source-map-trim.ts';

/** What one minified function bundle (`index.mjs`, without its map) should stay under (issue 14). */
export const BUNDLE_GOAL_BYTES = 300_000;

/**
 * The most bytes one bundle may have: the build and a test fail above it. A guard against growth until the
 * goal above is reached, not the goal: set just above today's largest without an SSF client, revoke
 * (347,328 bytes; introspect 344,717, invalidate 342,511, the authorizer 335,206). The routes that take a
 * token accept trusted issuers' JWTs, so they carry jose (about 18 KB) and the verifier. Every function
 * with DynamoDB carries about 270 KB that is not this project's code: the AWS SDK's DynamoDB client and
 * its Smithy core (about 190 KB, bundled on purpose: bundling/options.ts `BUNDLE_AWS_SDK`), the
 * Powertools logger, metrics and tracer with the X-Ray SDK (about 75 KB); so no such function reaches the
 * goal while both are bundled. The store split by caller (store/request-store.ts, admin-store.ts,
 * sweep-store.ts), the route table instead of the whole manifest (routes.ts) and the trusted tokens'
 * own adapter took 10-20 KB off each (revoke was 367,375).
 */
export const BUNDLE_LIMIT_BYTES = 349_000;

/**
 * [v3] What an SSF function may carry above that limit, by its manifest entry's `ssf` right: the SQS client
 * (about 24 KB) for those that send to the deliverer's queue (ssf-update-status, 348,922 bytes: no jose),
 * the KMS client for those that read the public keys (ssf-jwks, 271,902: no DynamoDB, so none), both and
 * the delivery engine for the one that signs (ssf-deliverer, 368,574; it builds its SETs' JWS with Node's
 * crypto, ssf/keys.ts, so it carries no jose).
 */
export const SSF_CLIENT_ALLOWANCE_BYTES: Readonly<Record<NonNullable<FunctionEntry['ssf']>, number>> = {
  send: 2_000,
  keys: 0,
  sign: 20_000,
};

/** The most bytes a function's bundle may have: the limit, plus its SSF clients' allowance. */
export function bundleLimitOf(entry: FunctionEntry): number {
  return BUNDLE_LIMIT_BYTES + (entry.ssf === undefined ? 0 : SSF_CLIENT_ALLOWANCE_BYTES[entry.ssf]);
}

/** Where the package's prebuilt handlers go, one folder per function (`prebuiltHandlerDir` reads them). */
export const HANDLERS_OUT_DIR = path.join(PROJECT_ROOT, 'dist', 'handlers');

/**
 * esbuild's own options for the construct's `BundlingOptions`. `esbuildArgs` are passed to the esbuild CLI
 * by aws-cdk-lib; the ones this project uses are translated here, and any other fails loudly instead of
 * being left out of what is built or measured.
 */
export function esbuildOptions(bundling: nodejs.BundlingOptions): esbuild.BuildOptions {
  const alias: Record<string, string> = {};
  for (const [key, value] of Object.entries(bundling.esbuildArgs ?? {})) {
    if (key !== '--alias') throw new Error(`bundling/handlers.ts does not translate esbuild argument ${key}`);
    for (const item of Array.isArray(value) ? value : [value]) {
      const [from, to] = String(item).split('=');
      if (!from || !to) throw new Error(`malformed --alias ${String(item)}`);
      alias[from] = to;
    }
  }
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: bundling.target,
    mainFields: bundling.mainFields,
    banner: { js: bundling.banner ?? '' },
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    define: bundling.define,
    alias,
  };
}

/** The composite store of the tests and tools, which no function may carry (it holds every adapter). */
const COMPOSITE_STORE = 'functions/commons/store/dynamodb.ts';

/** One built function. */
export interface HandlerBundle {
  readonly name: string;
  /** `<outDir>/<name>/index.mjs`. */
  readonly file: string;
  readonly bytes: number;
  /** Bytes of the output by input package (`@aws-sdk/client-dynamodb`, `(project)`), largest first. */
  readonly byPackage: readonly (readonly [string, number])[];
}

/** The package an esbuild input belongs to, or `(project)` for this repository's own sources. */
function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.slice(input.lastIndexOf('node_modules/')));
  return match?.[1] ?? '(project)';
}

/**
 * Bundles every manifest function into `outDir/<name>/index.mjs` (with its trimmed source map), all in one
 * esbuild call so shared modules are parsed once; the output has one self-contained file per function.
 */
export async function buildHandlers(outDir = HANDLERS_OUT_DIR): Promise<HandlerBundle[]> {
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = await esbuild.build({
    ...esbuildOptions(BUNDLING),
    entryPoints: FUNCTIONS.map((entry) => ({ in: handlerEntry(entry.name), out: `${entry.name}/index` })),
    outExtension: { '.js': '.mjs' },
    absWorkingDir: PROJECT_ROOT,
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
  });
  return FUNCTIONS.map(({ name: handler }) => {
    const file = path.join(outDir, handler, 'index.mjs');
    trimSourceMapFile(`${file}.map`, PROJECT_ROOT);
    const output = result.metafile.outputs[path.relative(PROJECT_ROOT, file)];
    if (!output) throw new Error(`esbuild wrote no ${file}`);
    const sizes = new Map<string, number>();
    for (const input of Object.keys(output.inputs)) {
      if (input.endsWith(COMPOSITE_STORE)) {
        throw new Error(
          `${handler} bundles ${COMPOSITE_STORE}: a function builds the narrow adapter of its port`,
        );
      }
    }
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      sizes.set(packageOf(input), (sizes.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
    return {
      name: handler,
      file,
      bytes: fs.statSync(file).size,
      byPackage: [...sizes].sort((a, b) => b[1] - a[1]),
    };
  });
}
