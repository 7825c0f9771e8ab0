import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { describeYamlError, documentData } from '../../src/gitops/yaml-error.js';

function firstError(text: string) {
  return parseDocument(text, { prettyErrors: false }).errors[0]!;
}

test('a YAML error shows the offending line with a caret under the column (tabs kept)', () => {
  const text = 'ingress:\n  \t- service: x\n';
  assert.equal(
    describeYamlError(firstError(text), text, 'config.yaml'),
    [
      'config.yaml line 2, column 3: Tabs are not allowed as indentation',
      '       2 |   \t- service: x',
      '         |   ^',
    ].join('\n'),
  );
});

test('an error found on a blank line shows the last line with text above it too', () => {
  const text = 'resources: [a\n\n';
  assert.match(
    describeYamlError(firstError(text), text, 'k.yaml'),
    /\n +1 \| resources: \[a\n +3 \| \n +\| \^$/,
  );
});

test('masked: keys and structure are shown, values never', () => {
  const text = 'token: eyJhIjoiYWNjb3VudCJ9\ntoken: eyJhIjoiYWNjb3VudCJ9\n';
  const shown = describeYamlError(firstError(text), text, 'config.yaml', { maskValues: true });
  assert.match(shown, /\n +2 \| token: …$/);
  assert.ok(!shown.includes('eyJ'));
});

test('documentData: the data, or an alias that does not resolve as an error at the alias', () => {
  assert.deepEqual(documentData(parseDocument('a: &x 1\nb: *x\n')), { data: { a: 1, b: 1 } });
  const text = 'a: 1\nb: [*x]\n';
  const read = documentData(parseDocument(text));
  assert.ok('error' in read);
  assert.equal(read.error.code, 'BAD_ALIAS');
  assert.equal(
    describeYamlError(read.error, text, 'f.yaml'),
    [
      'f.yaml line 2, column 5: the alias *x has no anchor &x before it',
      '       2 | b: [*x]',
      '         |     ^',
    ].join('\n'),
  );
});

test('documentData: an alias bomb is refused before it expands', () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (const [name, from] of [
    ['b', 'a'],
    ['c', 'b'],
    ['d', 'c'],
    ['e', 'd'],
  ]) {
    lines.push(`${name}: &${name} [${Array(10).fill(`*${from}`).join(', ')}]`);
  }
  const read = documentData(parseDocument(`${lines.join('\n')}\n`));
  assert.ok('error' in read);
  assert.equal(read.error.code, 'RESOURCE_EXHAUSTION');
  assert.match(read.error.message, /more than 100 copies/);
});

test('documentData: a merge key whose source is no mapping is an error at the key', () => {
  const text = 'a: 1\n<<: [1]\n';
  const read = documentData(parseDocument(text, { merge: true }));
  assert.ok('error' in read);
  assert.match(
    describeYamlError(read.error, text, 'f.yaml'),
    /^f\.yaml line 2, column 1: Merge sources must be maps/,
  );
});

test('documentData: a collection used as a key becomes its text without a process warning on stderr', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on('warning', onWarning);
  try {
    const read = documentData(parseDocument('{ secret-ish: value }: x\n[a, b]: y\n'));
    assert.ok('data' in read);
    assert.deepEqual(Object.keys(read.data as object).length, 2);
    // Node emits process warnings on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});
