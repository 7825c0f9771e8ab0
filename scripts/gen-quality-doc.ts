/**
 * `npm run docs:quality`: runs the whole test suite with the TAP reporter, reads bench/results.json, and writes
 * docs/quality.md. `--tap FILE` reads a TAP file of an earlier run instead of running the suite again.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readTap, renderBenchmarks, renderQualityDoc } from './quality-doc.js';

const PAGE = 'docs/quality.md';

const { values } = parseArgs({ options: { tap: { type: 'string' } } });
const results = JSON.parse(readFileSync('bench/results.json', 'utf8')) as Record<
  string,
  Record<string, unknown>
>;
let tap: string;
if (values.tap !== undefined) {
  tap = readFileSync(values.tap, 'utf8');
} else {
  // The suite checks the page's benchmark section against bench/results.json. After `npm run bench` that section
  // is stale until this script has run, so it is brought up to date first (the test section stays as it was):
  // otherwise the run whose figures this publishes would fail on the staleness it is about to fix.
  if (existsSync(PAGE)) {
    const page = readFileSync(PAGE, 'utf8');
    const at = page.indexOf('## Benchmarks');
    if (at >= 0) writeFileSync(PAGE, page.slice(0, at) + renderBenchmarks(results));
  }
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
writeFileSync(
  PAGE,
  renderQualityDoc({ results, tests, testedAt: new Date().toISOString(), node: process.version }),
);
console.log(
  `docs/quality.md: ${tests.tests} tests, ${tests.figures.length} test figures, ${Object.keys(results).length} benchmarks`,
);
