import type { TestContext } from 'node:test';

/**
 * Publishes a figure a proof test counted (cells of a fault matrix, inputs fuzzed, artefacts scanned) as a test
 * diagnostic; `npm run docs:quality` collects them into docs/quality.md.
 */
export function figure(t: TestContext, name: string, value: string | number | Record<string, unknown>): void {
  t.diagnostic(`figure ${JSON.stringify({ name, value })}`);
}
