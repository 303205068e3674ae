/**
 * The local server builds each function from its factory (tools/local/factories.ts), and Lambda from its
 * composition root (functions/<name>/index.ts): both lists must be the manifest's.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '#commons/manifest.ts';
import { PROJECT_ROOT } from '#lib/service-function.ts';
import { FACTORIES } from '#tools/local/factories.ts';

const names = FUNCTIONS.map((entry) => entry.name).sort();

describe('handler factories and composition roots', () => {
  it('the local server has a factory for every manifest function, and for nothing else', () => {
    expect(Object.keys(FACTORIES).sort()).toEqual(names);
  });

  it('every function folder holds its factory (handler.ts) and its root (index.ts)', () => {
    const functions = join(PROJECT_ROOT, 'functions');
    const folders = readdirSync(functions, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'commons' && entry.name !== 'wiring')
      .map((entry) => entry.name)
      .sort();
    expect(folders).toEqual(names);
    for (const name of folders) {
      expect(existsSync(join(functions, name, 'handler.ts')), name).toBe(true);
      expect(existsSync(join(functions, name, 'index.ts')), name).toBe(true);
    }
  });
});
