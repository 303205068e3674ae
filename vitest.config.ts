import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * One DynamoDB Local and one local server (`bin/start.ts`, as `npm start` runs it) for the whole run,
 * started by the global setup. The `audit` project runs after every other test, so it can check the
 * table and the server's log for any secret the suite was ever handed.
 */
const timeouts = { testTimeout: 30_000, hookTimeout: 60_000 };

/**
 * The handlers some tests invoke in-process log as on Lambda, onto the run's output: a green run prints
 * no log lines (contract, "Local output is for people"). The servers the suite starts log to their
 * files, as they turn these back on (test/support/global-setup.ts, startServer).
 */
const quiet = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };

/**
 * The package imports itself by name (`oauth-token-revocation`, as the examples do); this condition of its
 * `exports` resolves that to the TypeScript sources instead of the built dist/ (tsconfig.json names it too).
 */
const SOURCE_CONDITION = 'oauth-token-revocation-source';

// Vitest's own server defaults leave out `module` (packages' extensionless ESM builds Node cannot load).
const ssr = {
  resolve: {
    conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((condition) => condition !== 'module')],
  },
};

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        ssr,
        test: {
          name: 'suite',
          ...timeouts,
          env: quiet,
          // In-process handlers and stream consumers keep module state (a publisher's failure queue, the
          // subject key): each file gets its own.
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        ssr,
        test: {
          name: 'over-http',
          ...timeouts,
          env: quiet,
          // These talk to servers over sockets (or test pure functions), so they share one module graph:
          // loading the AWS SDK, jose and the helpers again for every file cost more than any test.
          include: ['test/{unit,e2e}/**/*.test.ts'],
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        ssr,
        test: {
          name: 'infra',
          ...timeouts,
          env: quiet,
          include: ['test/infra/**/*.test.ts'],
          // The synth tests share one module graph: each file loading aws-cdk-lib (and warming it up) on its
          // own took about 12 s, over two minutes a run. They build apps and read templates, and keep no
          // state between files.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        ssr,
        test: {
          name: 'audit',
          ...timeouts,
          env: quiet,
          include: ['test/audit/**/*.test.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
