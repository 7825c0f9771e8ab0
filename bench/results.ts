/**
 * `bench/results.json`: the figures of the last `npm run bench`, one key per benchmark. Each benchmark writes only
 * its own key, so benchmarks run alone (or added later) keep the others' figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const RESULTS_FILE = new URL('./results.json', import.meta.url);

export function recordResults(benchmark: string, figures: Record<string, unknown>): void {
  let results: Record<string, unknown> = {};
  try {
    results = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  results[benchmark] = { ...figures, measuredAt: new Date().toISOString(), node: process.version };
  const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(RESULTS_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
}
