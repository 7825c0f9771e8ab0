/**
 * `npm run docs:quality`: runs the whole test suite with the TAP reporter, reads bench/results.json, and writes
 * docs/quality.md. `--tap FILE` reads a TAP file of an earlier run instead of running the suite again.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readTap, renderQualityDoc } from './quality-doc.js';

const { values } = parseArgs({ options: { tap: { type: 'string' } } });
let tap: string;
if (values.tap !== undefined) {
  tap = readFileSync(values.tap, 'utf8');
} else {
  const run = spawnSync(process.execPath, ['scripts/run-tests.mjs'], {
    env: { ...process.env, TUNNELBOT_TEST_REPORTER: 'tap', NODE_TEST_CONTEXT: undefined },
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  tap = run.stdout;
}
const tests = readTap(tap);
if (tests.fail > 0) {
  console.error(`${tests.fail} tests failed: docs/quality.md publishes only a green run.`);
  process.exit(1);
}
const results = JSON.parse(readFileSync('bench/results.json', 'utf8')) as Record<
  string,
  Record<string, unknown>
>;
writeFileSync(
  'docs/quality.md',
  renderQualityDoc({ results, tests, testedAt: new Date().toISOString(), node: process.version }),
);
console.log(
  `docs/quality.md: ${tests.tests} tests, ${tests.figures.length} test figures, ${Object.keys(results).length} benchmarks`,
);
