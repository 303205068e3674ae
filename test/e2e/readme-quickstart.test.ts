import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { baseUrl } from '#test/support/helpers.ts';

/** The first `sh` block under the README's quickstart heading, exactly as a newcomer pastes it. */
function quickstart(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Quickstart with curl'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no quickstart block');
  return block;
}

describe('the README quickstart', () => {
  it('runs as pasted against the local server and prints what the README says it prints', async () => {
    const script = quickstart();
    const { stdout } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', script], {
      env: { ...process.env, URL: baseUrl.replace(/\/$/, '') },
      timeout: 20_000,
    });
    // Every `# ...` line that follows a command in the block is output the README promises.
    const promised = script
      .split('\n')
      .filter((line) => line.startsWith('# ') && !/^# \d+\./.test(line))
      .map((line) => line.slice(2));
    expect(promised).toEqual(['whoami before: 200', 'revoke: 200', '{"active":false}', 'whoami after: 401']);
    expect(stdout.trim().split('\n')).toEqual(promised);
  });

  it('stays a README a newcomer finishes in ten minutes (at most 25 KB)', () => {
    expect(readFileSync('README.md').length).toBeLessThanOrEqual(25_600);
  });
});
