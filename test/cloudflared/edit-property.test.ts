import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  isCatchAll,
  parseCloudflaredConfig,
  removeIngressRule,
  upsertIngressRule,
  validateCloudflaredConfig,
  type IngressRule,
} from '../../src/gitops/cloudflared/index.js';

const SERVICES = [
  'http://a:80',
  'https://b.ns.svc.cluster.local:443',
  'hello_world',
  'http_status:418',
  'tcp://db:5432',
];
const PATHS = ['^/api', '^/v[0-9]+/', '/health$', '(?i)^/admin'];

interface GeneratedRule {
  host: number;
  wildcard: boolean;
  path: string | null;
  service: string;
  quote: 'plain' | 'single' | 'double';
  leadingComment: boolean;
  inlineComment: boolean;
  trailingComment: boolean;
}

const ruleArbitrary: fc.Arbitrary<GeneratedRule> = fc.record({
  host: fc.integer({ min: 0, max: 999 }),
  wildcard: fc.boolean(),
  path: fc.option(fc.constantFrom(...PATHS)),
  service: fc.constantFrom(...SERVICES),
  quote: fc.constantFrom('plain' as const, 'single' as const, 'double' as const),
  leadingComment: fc.boolean(),
  inlineComment: fc.boolean(),
  trailingComment: fc.boolean(),
});

const configArbitrary = fc.record({
  rules: fc.uniqueArray(ruleArbitrary, { selector: (rule) => rule.host, maxLength: 8 }),
  dashIndent: fc.constantFrom(0, 2, 4),
  gapAfterDash: fc.constantFrom(1, 3),
  blankLinesBetween: fc.constantFrom(0, 1, 2),
  crlf: fc.boolean(),
  keysAfterIngress: fc.boolean(),
  catchAllComment: fc.boolean(),
});
type GeneratedConfig = typeof configArbitrary extends fc.Arbitrary<infer T> ? T : never;

const hostnameOf = (rule: GeneratedRule) => `${rule.wildcard ? '*.' : ''}h${rule.host}.example.com`;

function quoted(value: string, quote: GeneratedRule['quote']): string {
  if (quote === 'single') return `'${value}'`;
  if (quote === 'double' || value.startsWith('*')) return JSON.stringify(value);
  return value;
}

/** A config with comments a rule owns: each mentions the rule's hostname, so the check below can tell. */
function render(config: GeneratedConfig): string {
  const dash = ' '.repeat(config.dashIndent);
  const key = ' '.repeat(config.dashIndent + 1 + config.gapAfterDash);
  const lines = ['# generated config', 'tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef', '', 'ingress:'];
  const items = config.rules.map((rule) => {
    const hostname = hostnameOf(rule);
    const item: string[] = [];
    if (rule.leadingComment) item.push(`${dash}# rule for ${hostname}`);
    item.push(`${dash}-${' '.repeat(config.gapAfterDash)}hostname: ${quoted(hostname, rule.quote)}`);
    if (rule.path !== null) item.push(`${key}path: ${JSON.stringify(rule.path)}`);
    item.push(
      `${key}service: ${quoted(rule.service, rule.quote)}${rule.inlineComment ? `  # serves ${hostname}` : ''}`,
    );
    if (rule.trailingComment) item.push(`${key}  # more about ${hostname}`);
    return item;
  });
  const catchAll = [`${dash}-${' '.repeat(config.gapAfterDash)}service: http_status:404`];
  if (config.catchAllComment) catchAll.unshift(`${dash}# catch-all`);
  const separator = Array.from({ length: config.blankLinesBetween }, () => '');
  [...items, catchAll].forEach((item, index) => lines.push(...(index > 0 ? separator : []), ...item));
  if (config.keysAfterIngress) lines.push('metrics: 0.0.0.0:2000', '# last comment');
  return lines.join(config.crlf ? '\r\n' : '\n') + (config.crlf ? '\r\n' : '\n');
}

type Operation =
  | { kind: 'add'; host: number; path: string | null; service: string }
  | { kind: 'replace'; pick: number; service: string }
  | { kind: 'remove'; pick: number };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    host: fc.integer({ min: 1000, max: 1999 }),
    path: fc.option(fc.constantFrom(...PATHS)),
    service: fc.constantFrom(...SERVICES),
  }),
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), service: fc.constantFrom(...SERVICES) }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

/** Lines (1-based) that belong to the rules of `hostname`: their own lines and comments naming them. */
function ownedLines(text: string, hostname: string): Set<number> {
  const config = parseCloudflaredConfig(text);
  const owned = new Set<number>();
  config.ingress.forEach((rule, index) => {
    if (rule.hostname !== hostname) return;
    const span = config.ruleSpans[index];
    assert.ok(span);
    for (let line = span.line; line <= span.endLine; line++) owned.add(line);
  });
  text.split('\n').forEach((line, index) => {
    if (line.trimStart().startsWith('#') && line.includes(` ${hostname}`)) owned.add(index + 1);
  });
  return owned;
}

/** Asserts that only lines owned by `hostname` (or blank lines) differ between before and after. */
function assertOnlyRuleLinesChanged(before: string, after: string, hostname: string): void {
  const oldLines = before.split('\n');
  const newLines = after.split('\n');
  let prefix = 0;
  while (prefix < oldLines.length && prefix < newLines.length && oldLines[prefix] === newLines[prefix])
    prefix++;
  let suffix = 0;
  while (
    suffix < oldLines.length - prefix &&
    suffix < newLines.length - prefix &&
    oldLines[oldLines.length - 1 - suffix] === newLines[newLines.length - 1 - suffix]
  ) {
    suffix++;
  }
  const blank = (line: string | undefined) => /^[ \t]*\r?$/.test(line ?? '');
  for (const [lines, text] of [
    [oldLines, before],
    [newLines, after],
  ] as const) {
    const owned = ownedLines(text, hostname);
    for (let index = prefix; index < lines.length - suffix; index++) {
      assert.ok(
        owned.has(index + 1) || blank(lines[index]),
        `line ${index + 1} ${JSON.stringify(lines[index])} changed but does not belong to ${hostname}`,
      );
    }
  }
}

function assertValidWithCatchAllLast(text: string): IngressRule[] {
  assert.deepEqual(validateCloudflaredConfig(text), { ok: true, warnings: [] });
  const { ingress } = parseCloudflaredConfig(text);
  assert.ok(isCatchAll(ingress[ingress.length - 1] ?? { hostname: 'none' }));
  return ingress;
}

test('random add/replace/remove sequences touch only the edited rule, stay valid and add∘remove = identity', () => {
  fc.assert(
    fc.property(configArbitrary, fc.array(operationArbitrary, { maxLength: 6 }), (config, operations) => {
      let text = render(config);
      let model = assertValidWithCatchAllLast(text);
      for (const operation of operations) {
        const routed = model.filter((rule) => !isCatchAll(rule));
        const target =
          routed.length > 0 && operation.kind !== 'add' ? routed[operation.pick % routed.length] : undefined;
        let next: string;
        let expected: IngressRule[];
        let hostname: string;
        if (operation.kind === 'replace' && target?.hostname !== undefined) {
          hostname = target.hostname;
          const rule = { ...target, hostname, service: operation.service };
          next = upsertIngressRule(text, rule);
          expected = model.map((existing) =>
            existing === target ? { ...existing, service: operation.service } : existing,
          );
        } else if (operation.kind === 'remove' && target?.hostname !== undefined) {
          hostname = target.hostname;
          next = removeIngressRule(text, hostname);
          expected = model.filter((existing) => existing !== target);
          assert.ok(!next.includes(hostname), `${hostname} or a comment about it is left after removal`);
        } else {
          hostname = `new${operation.kind === 'add' ? operation.host : 0}.example.com`;
          const rule: IngressRule & { hostname: string; service: string } = {
            hostname,
            service: operation.kind === 'add' ? operation.service : 'http://fallback:80',
            ...(operation.kind === 'add' && operation.path !== null ? { path: operation.path } : {}),
          };
          if (model.some((existing) => existing.hostname === hostname)) continue;
          next = upsertIngressRule(text, rule);
          expected = [...model.slice(0, -1), rule, ...model.slice(-1)];
          assert.equal(removeIngressRule(next, hostname), text, 'add then remove must be the identity');
        }
        assertOnlyRuleLinesChanged(text, next, hostname);
        model = assertValidWithCatchAllLast(next);
        assert.deepEqual(
          model.map(({ hostname: h, path, service }) => ({ h, path, service })),
          expected.map(({ hostname: h, path, service }) => ({ h, path, service })),
        );
        if (config.crlf) assert.doesNotMatch(next.replace(/\r\n/g, ''), /\n/, 'mixed line endings');
        text = next;
      }
    }),
    { numRuns: 200 },
  );
});
