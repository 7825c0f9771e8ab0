import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTap, renderBenchmarks, renderQualityDoc } from '../../scripts/quality-doc.js';

const FIGURES_HELPER = new URL('../helpers/figures.ts', import.meta.url).href;

test('readTap takes the counts and the published figures from a real node --test TAP run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelbot-tap-'));
  const file = join(dir, 'sample.test.ts');
  writeFileSync(
    file,
    `import { test } from 'node:test';
import { figure } from ${JSON.stringify(FIGURES_HELPER)};
test('outer', async (t) => {
  figure(t, 'fault matrix of /demo', { cells: 52, complete: 40, failedCleanly: 12 });
  await t.test('inner', (t) => figure(t, 'texts fuzzed', 10000));
});
test('plain', () => {});
`,
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
    encoding: 'utf8',
    // Inside a test run, node --test would otherwise report to this runner instead of printing TAP.
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  assert.equal(run.status, 0, run.stderr);
  const report = readTap(run.stdout);
  assert.equal(report.tests, 3);
  assert.equal(report.pass, 3);
  assert.equal(report.fail, 0);
  assert.ok(report.durationMs > 0);
  // TAP prints a test's diagnostics after its subtests.
  assert.deepEqual(report.figures, [
    { name: 'texts fuzzed', value: 10000 },
    { name: 'fault matrix of /demo', value: { cells: 52, complete: 40, failedCleanly: 12 } },
  ]);
  assert.throws(() => readTap('ok 1 - something\n'), /no "# tests" line/);
});

test('the page shows every benchmark figure with its command and date, and the test counts', () => {
  const page = renderQualityDoc({
    results: {
      webhooks: {
        goal: 'ratio >= 0.8',
        github: { ratio: 0.81, requestsPerSecond: 7000 },
        measuredAt: '2026-12-03T10:00:00.000Z',
        node: 'v20.20.2',
      },
      'serve-startup': { readyMs: 900, bench: 'cli-startup', measuredAt: '2026-12-03T10:00:00.000Z' },
    },
    tests: { tests: 10, pass: 10, fail: 0, durationMs: 12_345, figures: [{ name: 'a | b', value: 3 }] },
    testedAt: '2026-12-03T11:00:00.000Z',
    node: 'v20.20.2',
  });
  assert.match(page, /`npm test` on 2026-12-03 \(Node v20.20.2\): 10 tests, 10 passed,\n0 failed, 12 s/);
  assert.match(page, /\| a \\\| b \| 3 \|/);
  assert.match(page, /### webhooks\n\n`npm run bench -- webhooks` on 2026-12-03 \(Node v20.20.2\)/);
  // A key another benchmark records names the command that measures it.
  assert.match(page, /### serve-startup\n\n`npm run bench -- cli-startup` on 2026-12-03\./);
  assert.match(page, /\| goal \| ratio >= 0.8 \|/);
  assert.match(page, /\| github.ratio \| 0.81 \|/);
  assert.doesNotMatch(page, /measuredAt|\| bench \|/);
});

test('a list of measured cases is a table of its own, one column per key, never "[object Object]"', () => {
  const page = renderBenchmarks({
    'cloudflare-dns': {
      zones: [
        { zoneSize: 100, firstRequests: 9 },
        { zoneSize: 10000, firstRequests: 202, steadyMs: 18 },
      ],
      measuredAt: '2026-12-03T10:00:00.000Z',
    },
    sops: { runs: 3, sizes: [1, 2, 3] },
  });
  assert.doesNotMatch(page, /object Object/);
  assert.match(
    page,
    /### cloudflare-dns\n\n`npm run bench -- cloudflare-dns` on 2026-12-03\.\n\n`zones`:\n\n\| zoneSize \| firstRequests \| steadyMs \|\n\| --- \| --- \| --- \|\n\| 100 \| 9 \| {2}\|\n\| 10000 \| 202 \| 18 \|\n/,
  );
  // A record with no scalar figure gets no empty Figure table; a list of numbers stays one cell.
  assert.doesNotMatch(page, /cloudflare-dns` on 2026-12-03\.\n\n\| Figure/);
  assert.match(page, /\| sizes \| 1, 2, 3 \|/);
});

test('docs/quality.md shows the figures bench/results.json holds (regenerate it with npm run docs:quality)', () => {
  const results = JSON.parse(
    readFileSync(new URL('../../bench/results.json', import.meta.url), 'utf8'),
  ) as Record<string, Record<string, unknown>>;
  const benchmarks = (page: string) => page.slice(page.indexOf('## Benchmarks'));
  const expected = renderQualityDoc({
    results,
    tests: { tests: 0, pass: 0, fail: 0, durationMs: 0, figures: [] },
    testedAt: '',
    node: '',
  });
  const published = readFileSync(new URL('../../docs/quality.md', import.meta.url), 'utf8');
  assert.equal(benchmarks(published), benchmarks(expected));
});
