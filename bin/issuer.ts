#!/usr/bin/env node
/** `npm run issuer`: a tiny local issuer of JWT access tokens to try trusted issuers with (tools/local/issuer.ts). */
import { IssuerHelp, main } from '#tools/local/issuer.ts';

main().catch((error: unknown) => {
  if (error instanceof IssuerHelp) {
    console.log(error.message);
    process.exit(0);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
