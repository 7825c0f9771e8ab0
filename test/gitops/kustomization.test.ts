import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { addResource, listResources, removeResource } from '../../src/gitops/kustomization.js';
import { TunnelbotError } from '../../src/errors.js';
import { readsBackPlain } from '../../src/gitops/yaml-scalar.js';

const FILE = 'apps/staging/tunnels/kustomization.yaml';

test('adds an entry after the last one with the same dash style, and removal restores every byte', () => {
  const original = `# comment kept
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
    -   ../base/podinfo   # trailing comment kept
    -   other
patches:
  - path: x.yaml
`;
  const added = addResource(original, 'linkding', FILE);
  assert.equal(added, original.replace('    -   other\n', '    -   other\n    -   linkding\n'));
  assert.deepEqual(listResources(added, FILE), ['../base/podinfo', 'other', 'linkding']);
  assert.equal(removeResource(added, 'linkding', FILE), original);
});

test('flush dashes (`- x` at the key indentation) are kept', () => {
  const original = 'resources:\n- a\n- b\nnamespace: x\n';
  const added = addResource(original, 'c', FILE);
  assert.equal(added, 'resources:\n- a\n- b\n- c\nnamespace: x\n');
  assert.equal(removeResource(added, 'c', FILE), original);
});

test('flow lists, including `[]`, are edited in place', () => {
  for (const original of [
    'resources: []\n',
    'resources: [a, b]\n',
    'resources: [ a ]\nkind: Kustomization\n',
  ]) {
    const added = addResource(original, 'linkding', FILE);
    assert.ok(listResources(added, FILE).includes('linkding'), added);
    assert.equal(removeResource(added, 'linkding', FILE), original);
  }
  assert.equal(addResource('resources: []\n', 'linkding', FILE), 'resources: [linkding]\n');
  // A flow list needs no new line, so it is edited in place inside a flow mapping too.
  assert.equal(addResource('{resources: [a]}\n', 'b', FILE), '{resources: [a, b]}\n');
});

test('an entry YAML would read as a number or a boolean is quoted, in flow and block lists', () => {
  for (const entry of ['2', 'on', 'no', '1e3']) {
    const flow = addResource('resources: [old]\n', entry, FILE);
    assert.equal(flow, `resources: [old, "${entry}"]\n`);
    assert.deepEqual(listResources(flow, FILE), ['old', entry]);
    const block = addResource('resources:\n  - old\n', entry, FILE);
    assert.equal(block, `resources:\n  - old\n  - "${entry}"\n`);
    assert.equal(removeResource(block, entry, FILE), 'resources:\n  - old\n');
  }
});

test('a kustomization without resources gains the key, and loses it again on removal', () => {
  const original = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n';
  const added = addResource(original, 'linkding', FILE);
  assert.equal(added, `${original}resources:\n  - linkding\n`);
  assert.equal(removeResource(added, 'linkding', FILE), original);
  assert.equal(addResource('kind: Kustomization', 'x', FILE), 'kind: Kustomization\nresources:\n  - x');
});

// Found by the planner fuzzer: removal left the final newline the addition had given the file.
test('a file without a final newline keeps its last line intact and gets no newline', () => {
  for (const [original, entry, expected] of [
    ['resources:\n  - a', 'b', 'resources:\n  - a\n  - b'],
    ['o:', 'x', 'o:\nresources:\n  - x'],
    ['resources: [a]', 'b', 'resources: [a, b]'],
  ] as const) {
    const added = addResource(original, entry, FILE);
    assert.equal(added, expected);
    assert.ok(listResources(added, FILE).includes(entry));
    assert.equal(removeResource(added, entry, FILE), original);
  }
});

test('invalid kustomizations are refused with the file named', () => {
  const cases: Array<[string, RegExp]> = [
    ['resources: a\n', /`resources` is not a list/],
    ['- a\n', /top level is not a mapping/],
    ['resources: [a\n', /.* line 2, column 1: .*\n +1 \| resources: \[a\n/],
    ['resources:\n  - {path: x}\n', /non-string entry/],
    // Found by the planner fuzzer: lines appended after a flow mapping made a file no YAML parser reads.
    ['{{ template }}\n', /flow mapping .*block style/],
    ['{kind: Kustomization}\n', /flow mapping .*block style/],
    ['{resources: }\n', /flow mapping .*block style/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => addResource(text, 'x', FILE),
      (error: unknown) =>
        error instanceof TunnelbotError &&
        error.code === 'TB_ERR_PLAN_INVALID_KUSTOMIZATION' &&
        error.message.startsWith(FILE) &&
        message.test(error.message),
    );
  }
  assert.throws(() => addResource('resources:\n  - a\n', 'a', FILE), /already lists "a"/);
  assert.throws(() => removeResource('resources:\n  - a\n', 'b', FILE), /does not list "b"/);
});

const entry = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const comment = fc.option(
  fc.stringMatching(/^[a-z ]{0,20}$/).map((text) => `  # ${text}`),
  { nil: undefined },
);

test('property: adding then removing an entry is the identity and other lines never change', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(entry, comment), { minLength: 1, maxLength: 8, selector: ([name]) => name }),
      fc.constantFrom('', '  ', '    '),
      fc.constantFrom('- ', '-   '),
      entry,
      fc.boolean(),
      (items, indent, dash, added, trailingKey) => {
        fc.pre(!items.some(([name]) => name === added));
        const original =
          `# header\nkind: Kustomization\nresources:\n` +
          items.map(([name, note]) => `${indent}${dash}${name}${note ?? ''}\n`).join('') +
          (trailingKey ? 'namespace: apps\n' : '');
        const withEntry = addResource(original, added, FILE);
        assert.deepEqual(listResources(withEntry, FILE), [...items.map(([name]) => name), added]);
        assert.deepEqual(parseDocument(withEntry).errors, []);
        const before = original.split('\n');
        const after = withEntry.split('\n');
        assert.equal(after.length, before.length + 1);
        // An entry YAML would read as a boolean (`y`, `on`, `no`) is written quoted.
        const rendered = readsBackPlain(added) ? added : JSON.stringify(added);
        assert.deepEqual(
          after.filter((line) => line !== `${indent}${dash}${rendered}`),
          before,
        );
        assert.equal(removeResource(withEntry, added, FILE), original);
      },
    ),
    { numRuns: 300 },
  );
});
