#!/usr/bin/env -S node --import tsx
/** The admin CLI (`npx revocation-admin --help`); the commands live in tools/cli/. */
import { runCli } from '#tools/cli/main.ts';

// The AWS SDK's clients (STS, SSO, built by the credential chain for role and SSO profiles) print a
// multi-line notice about future Node versions on stderr, where the CLI promises one line per failure.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  // exitCode rather than exit(): let piped stdout drain first.
  process.exitCode = code;
});
