/**
 * `npm run build` (and `prepack`): what the npm package ships, under dist/.
 * - dist/lib/index.js: the constructs as one ES module (aws-cdk-lib and constructs stay imports: they are
 *   the user's peer dependencies). esbuild resolves this repository's `#commons/*` aliases and `.ts`
 *   specifiers, which tsc refuses to rewrite.
 * - dist/lib/*.d.ts and dist/functions/commons/*.d.ts: the declarations tsc emits (tsconfig.build.json),
 *   with those same specifiers rewritten to relative `.js` paths, so a user's TypeScript resolves them.
 * - dist/handlers/<name>/index.mjs: every function prebuilt (bundling/handlers.ts), which the construct
 *   deploys as it is, so a user's `cdk synth` needs neither esbuild nor TypeScript nor this repository.
 */

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { PROJECT_ROOT } from '#lib/service-function.ts';
import { BUNDLE_LIMIT_BYTES, buildHandlers } from './handlers.ts';

const DIST = path.join(PROJECT_ROOT, 'dist');

/** The `imports` aliases of package.json the constructs use, by the folder each stands for. */
const ALIASES: Readonly<Record<string, string>> = {
  '#commons/': 'functions/commons/',
  '#lib/': 'lib/',
};

/** A declaration file's module specifiers as relative `.js` paths (what Node and tsc resolve in dist/). */
export function rewriteSpecifiers(source: string, fileRelative: string): string {
  return source.replace(
    /(from\s+|import\()(['"])([^'"]+)\2/g,
    (whole, lead: string, quote: string, spec: string) => {
      let target = spec;
      for (const [alias, folder] of Object.entries(ALIASES)) {
        if (spec.startsWith(alias)) {
          const relative = path.posix.relative(
            path.posix.dirname(fileRelative),
            folder + spec.slice(alias.length),
          );
          target = relative.startsWith('.') ? relative : `./${relative}`;
        }
      }
      if (!target.startsWith('.')) return whole;
      return `${lead}${quote}${target.replace(/\.ts$/, '.js')}${quote}`;
    },
  );
}

function declarationFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file));
}

async function buildPackage(): Promise<void> {
  fs.rmSync(DIST, { recursive: true, force: true });
  execFileSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
  for (const file of declarationFiles(DIST)) {
    const relative = path.relative(DIST, file).split(path.sep).join('/');
    fs.writeFileSync(file, rewriteSpecifiers(fs.readFileSync(file, 'utf8'), relative));
  }
  await esbuild.build({
    entryPoints: [path.join(PROJECT_ROOT, 'lib', 'index.ts')],
    outfile: path.join(DIST, 'lib', 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // aws-cdk-lib and constructs must be the user's own copies (one construct tree), never bundled.
    packages: 'external',
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
  });
  const bundles = await buildHandlers();
  const over = bundles.filter((bundle) => bundle.bytes > BUNDLE_LIMIT_BYTES);
  if (over.length > 0) {
    throw new Error(
      `over ${BUNDLE_LIMIT_BYTES} bytes: ${over.map((b) => `${b.name} ${b.bytes}`).join(', ')}`,
    );
  }
  // stderr: `npm pack --json` prints this script's stdout before its JSON.
  console.error(
    `dist/: constructs and declarations, ${bundles.length} prebuilt handlers ` +
      `(largest ${Math.max(...bundles.map((bundle) => bundle.bytes))} bytes)`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  await buildPackage();
}
