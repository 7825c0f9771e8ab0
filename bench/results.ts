/**
 * `bench/results.json`: the figures of the last `npm run bench`, one key per benchmark. Each benchmark writes only
 * its own key, so benchmarks run alone (or added later) keep the others' figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { format } from 'prettier';

export const RESULTS_FILE = new URL('./results.json', import.meta.url);

/** `module` is the benchmark of bench/index.ts that measures it, when it records more than one key. */
export async function recordResults(
  benchmark: string,
  figures: Record<string, unknown>,
  module = benchmark,
): Promise<void> {
  let results: Record<string, unknown> = {};
  try {
    results = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  results[benchmark] = {
    ...figures,
    ...(module !== benchmark && { bench: module }),
    measuredAt: new Date().toISOString(),
    node: process.version,
  };
  const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
  // Written as prettier writes it, so `npm run lint` (prettier --check) passes on a freshly recorded file.
  writeFileSync(RESULTS_FILE, await format(JSON.stringify(sorted, null, 2), { parser: 'json' }));
}
