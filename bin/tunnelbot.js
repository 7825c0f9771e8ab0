#!/usr/bin/env node
// Thin launcher so the bin entry exists before the first build and fails with a hint instead of a stack trace.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'tunnelbot: dist/ is missing. Run `npm ci` (or `npm run build`) in the tunnelbot checkout first.\n',
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
