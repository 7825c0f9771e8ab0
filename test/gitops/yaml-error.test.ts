import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { describeYamlError } from '../../src/gitops/yaml-error.js';

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
