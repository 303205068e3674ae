import * as fs from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLING } from '#bundling/options.ts';
import { trimSourceMap } from '#bundling/source-map-trim.ts';
import { handlerEntry, PROJECT_ROOT } from '#lib/service-function.ts';

/** The revoke handler bundled as deployed (minified, with its full source map), and the map trimmed. */
function revokeBundle() {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'source-map-trim-'));
  const result = esbuild.buildSync({
    entryPoints: [handlerEntry('revoke')],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target,
    mainFields: BUNDLING.mainFields,
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    write: false,
    outdir,
    logLevel: 'silent',
  });
  fs.rmSync(outdir, { recursive: true, force: true });
  const text = (suffix: string) => result.outputFiles.find((f) => f.path.endsWith(suffix))?.text ?? '';
  const map = JSON.parse(text('.js.map')) as SourceMapPayload;
  return { code: text('.js').split('\n'), full: map, trimmed: trimSourceMap(map) };
}

describe('source map trimming', () => {
  const { code, full, trimmed } = revokeBundle();
  const before = new SourceMap(full);
  const after = new SourceMap(trimmed);
  // Every 97th column of the bundle: thousands of positions in our code and in the dependencies.
  const positions = code.flatMap((line, l) =>
    Array.from({ length: Math.ceil(line.length / 97) }, (_, i) => [l, i * 97] as const),
  );
  const entries = positions.map(([line, column]) => ({
    full: before.findEntry(line, column),
    trimmed: after.findEntry(line, column),
  }));
  const source = (entry: object) => (entry as { originalSource?: string }).originalSource ?? '';

  it('keeps only the project sources', () => {
    expect(trimmed.sources.length).toBeGreaterThan(5);
    expect(trimmed.sources.some((s: string) => s.endsWith('functions/revoke/index.ts'))).toBe(true);
    expect(trimmed.sources.filter((s: string) => s.includes('node_modules/'))).toEqual([]);
    expect(JSON.stringify(trimmed).length).toBeLessThan(JSON.stringify(full).length / 5);
  });

  it('maps every position in our code exactly as before', () => {
    const ours = entries.filter((e) => source(e.full) && !source(e.full).includes('node_modules/'));
    expect(ours.length).toBeGreaterThan(100);
    for (const e of ours) expect(e.trimmed).toEqual(e.full);
  });

  it('leaves dependency code unmapped instead of blaming it on our sources', () => {
    const deps = entries.filter((e) => source(e.full).includes('node_modules/'));
    expect(deps.length).toBeGreaterThan(100);
    for (const e of deps) expect(source(e.trimmed)).toBe('');
  });
});
