// Runs every test/**/*.test.ts with Node's own test runner (TypeScript through tsx).
// Arguments narrow the run: `npm test -- sops` runs the files whose path contains "sops". Every test process loads
// the leak scan (test/helpers/leak-scan-hook.ts), which fails a file whose tests let a secret out.
// TUNNELBOT_TEST_REPORTER picks another reporter of node:test (`npm run docs:quality` reads TAP).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests('test')
  .map((file) => relative('.', file))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`No test file matches ${filters.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './test/helpers/leak-scan-hook.ts',
    '--test',
    `--test-reporter=${process.env.TUNNELBOT_TEST_REPORTER ?? 'spec'}`,
    '--test-concurrency=2',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
