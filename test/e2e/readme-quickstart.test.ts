import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { baseUrl } from '#test/support/helpers.ts';
import { startLocalIssuer } from '#tools/local/issuer.ts';

/** The first `sh` block under a README heading, exactly as a newcomer pastes it. */
function blockUnder(heading: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`README.md has no heading ${heading}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (!block) throw new Error(`README.md has no sh block under ${heading}`);
  return block;
}
const quickstart = () => blockUnder('## Quickstart with curl');

/** Runs a README block in bash (stopping at the first failure) with `env`; the output lines it promises and prints. */
async function runBlock(script: string, env: Record<string, string>) {
  const { stdout } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', script], {
    env: { ...process.env, URL: baseUrl.replace(/\/$/, ''), ...env },
    timeout: 20_000,
  });
  // Every `# ...` line that follows a command in the block is output the README promises.
  const promised = script
    .split('\n')
    .filter((line) => line.startsWith('# ') && !/^# \d+\./.test(line))
    .map((line) => line.slice(2));
  return { promised, printed: stdout.trim().split('\n') };
}

describe('the README quickstart', () => {
  it('runs as pasted against the local server and prints what the README says it prints', async () => {
    const { promised, printed } = await runBlock(quickstart(), {});
    expect(promised).toEqual(['whoami before: 200', 'revoke: 200', '{"active":false}', 'whoami after: 401']);
    expect(printed).toEqual(promised);
  });

  it("runs the trusted issuers' walkthrough as pasted, against the local issuer `npm run issuer` starts", async () => {
    const issuer = await startLocalIssuer({ port: 0, alg: 'ES256', ttl: 3600 });
    try {
      const { promised, printed } = await runBlock(
        blockUnder("## Revoking any issuer's JWTs (trusted issuers)"),
        { ISS: issuer.url },
      );
      expect(promised).toEqual(['whoami before: 200', 'revoke: 200', 'whoami after: 401']);
      expect(printed).toEqual(promised);
    } finally {
      issuer.server.closeAllConnections();
      issuer.server.close();
    }
  });

  it('stays a README a newcomer finishes in ten minutes (at most 25 KB)', () => {
    expect(readFileSync('README.md').length).toBeLessThanOrEqual(25_600);
  });
});
