/**
 * Cost of one text-preserving ingress edit on a large shared-tunnel config (2,000 rules): milliseconds to add and
 * to remove a rule (median of RUNS), and how many bytes the edit touches (the differing region between before and
 * after), which is what a reviewer sees in the pull request diff.
 */
import { performance } from 'node:perf_hooks';
import {
  parseCloudflaredConfig,
  removeIngressRule,
  upsertIngressRule,
} from '../src/gitops/cloudflared/index.js';
import { recordResults } from './results.js';
import { median } from './stats.js';

const RULES = 2000;
const RUNS = 15;

function largeConfig(rules: number): string {
  const lines = [
    '# shared tunnel for the production cluster',
    'tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef',
    'ingress:',
  ];
  for (let index = 0; index < rules; index++) {
    if (index % 10 === 0) lines.push(`  # team ${index / 10}`);
    lines.push(
      `  - hostname: app${index}.example.com`,
      `    service: http://app${index}.apps.svc.cluster.local:8080`,
    );
  }
  lines.push('  - service: http_status:404', '');
  return lines.join('\n');
}

/** Bytes of the region that differs: what remains of `after` once the common prefix and suffix are removed. */
function changedBytes(before: string, after: string): number {
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix++;
  }
  return Math.max(before.length - prefix - suffix, after.length - prefix - suffix);
}

function time<T>(operation: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = operation();
  return { ms: performance.now() - start, result };
}

export async function run(): Promise<void> {
  const config = largeConfig(RULES);
  const rule = { hostname: 'new-app.example.com', service: 'http://new-app.apps.svc.cluster.local:8080' };
  const parseTimes: number[] = [];
  const addTimes: number[] = [];
  const removeTimes: number[] = [];
  let added = config;
  let removed = config;
  for (let runIndex = 0; runIndex < RUNS; runIndex++) {
    parseTimes.push(time(() => parseCloudflaredConfig(config)).ms);
    const add = time(() => upsertIngressRule(config, rule));
    added = add.result;
    addTimes.push(add.ms);
    const remove = time(() => removeIngressRule(config, `app${RULES / 2}.example.com`));
    removed = remove.result;
    removeTimes.push(remove.ms);
  }
  console.log(`cloudflared-edit: config of ${RULES} rules, ${config.length} bytes; median of ${RUNS} runs`);
  console.log(
    `  parse only:  ${median(parseTimes).toFixed(1)} ms (an edit parses its input and its output once each)`,
  );
  console.log(
    `  add rule:    ${median(addTimes).toFixed(1)} ms, ${changedBytes(config, added)} bytes changed`,
  );
  console.log(
    `  remove rule: ${median(removeTimes).toFixed(1)} ms, ${changedBytes(config, removed)} bytes changed`,
  );
  const restores = removeIngressRule(added, rule.hostname) === config;
  console.log(`  add then remove restores the input: ${restores}`);
  // The goal is an edit costing about what reading the config costs (an edit parses input and output once each).
  const parseMs = median(parseTimes);
  await recordResults('cloudflared-edit', {
    goal: 'reported as a ratio to one parse (an edit parses its input and its output, so at least 2)',
    rules: RULES,
    bytes: config.length,
    parseMs: round(parseMs),
    addMs: round(median(addTimes)),
    removeMs: round(median(removeTimes)),
    addToParseRatio: round(median(addTimes) / parseMs),
    removeToParseRatio: round(median(removeTimes) / parseMs),
    addBytesChanged: changedBytes(config, added),
    removeBytesChanged: changedBytes(config, removed),
    addThenRemoveRestoresInput: restores,
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
