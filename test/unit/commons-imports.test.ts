/**
 * The lint rule that keeps `functions/commons` from reaching the composition roots (biome.json's override
 * of `noRestrictedImports` for `functions/commons/**`): biome is run on a file placed in commons that
 * imports the wiring and a function's root, and must refuse each import, and only those.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#lib/service-function.ts';

const run = promisify(execFile);
const BIOME = join(PROJECT_ROOT, 'node_modules', '.bin', 'biome');

/** Lints `source` as a file of `functions/commons/<dir>/`; the rule's diagnostics, by line. */
async function restrictedImportLines(source: string): Promise<number[]> {
  const dir = mkdtempSync(join(PROJECT_ROOT, 'functions', 'commons', 'lint-probe-'));
  const file = join(dir, 'probe.ts');
  writeFileSync(file, source);
  try {
    const output = await run(BIOME, ['lint', '--max-diagnostics=50', relative(PROJECT_ROOT, file)], {
      cwd: PROJECT_ROOT,
    }).then(
      ({ stdout, stderr }) => stdout + stderr,
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    const lines = [...output.matchAll(/probe\.ts:(\d+):\d+ lint\/style\/noRestrictedImports/g)];
    return lines.map((match) => Number(match[1]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('functions/commons imports no wiring', () => {
  it('refuses the wiring (by alias or path) and a function root, and nothing else', async () => {
    const lines = await restrictedImportLines(
      [
        "import { openTable } from '#wiring/table.ts';",
        "import { openSsfStore } from '../../wiring/ssf.ts';",
        "import { handler } from '../../token/index.ts';",
        "import { openTrustStore } from '#functions/wiring/trusted.ts';",
        "import { handler as revoke } from '#functions/revoke/index.ts';",
        "import { logger } from '../log.ts';",
        "import { httpHandler } from '../http/handler.ts';",
        "import { ENV } from '#commons/config.ts';",
        'export const all = [openTable, openSsfStore, handler, openTrustStore, revoke, logger, httpHandler, ENV];',
        '',
      ].join('\n'),
    );
    expect(lines).toEqual([1, 2, 3, 4, 5]);
  });

  it('holds for every file of commons today (the probe directory is gone)', () => {
    const left = readdirSync(join(PROJECT_ROOT, 'functions', 'commons')).filter((name) =>
      name.startsWith('lint-probe-'),
    );
    expect(left).toEqual([]);
  });
});
