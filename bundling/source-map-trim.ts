/**
 * Cuts a bundle's source map down to the project's own sources. With `--enable-source-maps` Node decodes
 * the whole map when the bundle loads, and nine tenths of it describe the minified dependencies (AWS
 * SDK, Powertools, X-Ray SDK), whose frames nobody reads in TypeScript anyway. Their code stays in the
 * bundle; their stack frames show bundle positions instead of `node_modules` paths.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

function decode(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`not base64 VLQ: ${segment}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

function encode(values: number[]): string {
  let out = '';
  for (const signed of values) {
    let value = signed < 0 ? (-signed << 1) | 1 : signed << 1;
    do {
      let digit = value & 31;
      value >>>= 5;
      if (value > 0) digit |= 32;
      out += BASE64[digit];
    } while (value > 0);
  }
  return out;
}

/** The fields of a version 3 source map this reads and writes. */
export interface SourceMapV3 {
  version: number;
  sources: string[];
  sourcesContent?: (string | null)[];
  names: string[];
  mappings: string;
}

/** The map with only the segments of sources `keep` accepts; sources and names re-indexed. */
export function trimSourceMap<T extends SourceMapV3>(
  map: T,
  keep = (source: string) => !source.includes('node_modules/'),
): T {
  const sources: string[] = [];
  const sourceIndex = new Map<number, number>();
  const names: string[] = [];
  const nameIndex = new Map<number, number>();
  const reindex = (index: Map<number, number>, list: string[], from: string[], i: number) => {
    let j = index.get(i);
    if (j === undefined) {
      j = list.push(from[i] ?? '') - 1;
      index.set(i, j);
    }
    return j;
  };
  // Source, line, column and name are deltas across the whole map: absolute values read so far, and the
  // last ones written.
  const read = { source: 0, line: 0, column: 0, name: 0 };
  const written = { source: 0, line: 0, column: 0, name: 0 };
  const lines = map.mappings.split(';').map((line) => {
    let column = 0;
    let writtenColumn = 0;
    let mapped = false;
    const out: string[] = [];
    for (const segment of line ? line.split(',') : []) {
      const [columnDelta = 0, source, sourceLine, sourceColumn, name] = decode(segment);
      column += columnDelta;
      if (source === undefined || sourceLine === undefined || sourceColumn === undefined) continue;
      read.source += source;
      read.line += sourceLine;
      read.column += sourceColumn;
      if (name !== undefined) read.name += name;
      if (!keep(map.sources[read.source] ?? '')) {
        // An unmapped segment ends the mapping before it, so dependency code is not blamed on ours.
        if (mapped) {
          out.push(encode([column - writtenColumn]));
          writtenColumn = column;
          mapped = false;
        }
        continue;
      }
      const s = reindex(sourceIndex, sources, map.sources, read.source);
      const values = [
        column - writtenColumn,
        s - written.source,
        read.line - written.line,
        read.column - written.column,
      ];
      Object.assign(written, { source: s, line: read.line, column: read.column });
      if (name !== undefined) {
        const n = reindex(nameIndex, names, map.names, read.name);
        values.push(n - written.name);
        written.name = n;
      }
      out.push(encode(values));
      writtenColumn = column;
      mapped = true;
    }
    return out.join(',');
  });
  const trimmed: T = { ...map, sources, names, mappings: lines.join(';') };
  if (map.sourcesContent) {
    trimmed.sourcesContent = [...sourceIndex.keys()].map((i) => map.sourcesContent?.[i] ?? null);
  }
  return trimmed;
}

/**
 * Rewrites a source map file in place. Sources are judged by where they are, relative to `projectRoot`:
 * a map written inside node_modules (the benchmark's builds) names the dependencies without it.
 */
export function trimSourceMapFile(file: string, projectRoot = process.cwd()): void {
  const map = JSON.parse(fs.readFileSync(file, 'utf8')) as SourceMapV3 & { sourceRoot?: string };
  const ours = (source: string) => {
    const resolved = path.resolve(path.dirname(file), map.sourceRoot ?? '', source);
    return !path.relative(projectRoot, resolved).split(path.sep).includes('node_modules');
  };
  fs.writeFileSync(file, JSON.stringify(trimSourceMap(map, ours)));
}

/** `node --import tsx bundling/source-map-trim.ts <map>...`: the construct's after-bundling step. */
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  for (const file of process.argv.slice(2)) trimSourceMapFile(file);
}
