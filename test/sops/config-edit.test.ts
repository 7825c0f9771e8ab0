import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertCreationRule } from '../../src/gitops/sops/config-edit.js';
import { parseSopsConfig } from '../../src/gitops/sops/index.js';

const RULE = {
  pathRegex: '^apps/tunnels/.*\\.sops\\.yaml$',
  encryptedRegex: '^(data|stringData)$',
  age: 'age1abc',
};
const RENDERED =
  '  # ours\n  - path_regex: ^apps/tunnels/.*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: age1abc\n';

test('a rule is added to a missing, empty, comment-only or rule-less .sops.yaml', () => {
  const created = insertCreationRule(undefined, '.sops.yaml', RULE, 0, 'ours');
  assert.ok(created.endsWith(`creation_rules:\n${RENDERED}`));
  assert.equal(parseSopsConfig(created, '.sops.yaml').creationRules[0]!.pathRegex, RULE.pathRegex);
  assert.equal(insertCreationRule('', '.sops.yaml', RULE, 0, 'ours'), `creation_rules:\n${RENDERED}`);
  assert.equal(
    insertCreationRule('# keys\n', '.sops.yaml', RULE, 0, 'ours'),
    `# keys\ncreation_rules:\n${RENDERED}`,
  );
  assert.equal(
    insertCreationRule('stores:\n  yaml:\n    indent: 2\n', '.sops.yaml', RULE, 0, 'ours'),
    `stores:\n  yaml:\n    indent: 2\ncreation_rules:\n${RENDERED}`,
  );
  assert.equal(
    insertCreationRule('creation_rules:\n', '.sops.yaml', RULE, 0, 'ours'),
    `creation_rules:\n${RENDERED}`,
  );
  assert.equal(
    insertCreationRule('creation_rules: [] # none yet\nstores: {}\n', '.sops.yaml', RULE, 0, 'ours'),
    `creation_rules: # none yet\n${RENDERED}stores: {}\n`,
  );
});

test('a rule goes at the index given, at the indentation of the others, above the comment of the next one', () => {
  const text =
    'creation_rules:\n    - path_regex: ^a/\n      age: age1a\n    # catch-all\n    - age: age1b\n';
  assert.equal(
    insertCreationRule(text, '.sops.yaml', RULE, 1, 'ours'),
    'creation_rules:\n    - path_regex: ^a/\n      age: age1a\n    # ours\n    - path_regex: ^apps/tunnels/.*\\.sops\\.yaml$\n      encrypted_regex: ^(data|stringData)$\n      age: age1abc\n    # catch-all\n    - age: age1b\n',
  );
  assert.equal(
    insertCreationRule(text, '.sops.yaml', RULE, 2, 'ours'),
    `${text}    # ours\n    - path_regex: ^apps/tunnels/.*\\.sops\\.yaml$\n      encrypted_regex: ^(data|stringData)$\n      age: age1abc\n`,
  );
});
