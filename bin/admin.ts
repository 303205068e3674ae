#!/usr/bin/env -S node --import tsx
/** The admin CLI (`npx revocation-admin --help`); the commands live in lib/cli/. */
import { runCli } from '../lib/cli/main.ts';

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  // exitCode rather than exit(): let piped stdout drain first.
  process.exitCode = code;
});
