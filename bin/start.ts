#!/usr/bin/env node
/** `npm start`: the whole service on http://localhost:3000 (see tools/local/start.ts). */
import { main } from '#tools/local/start.ts';

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
