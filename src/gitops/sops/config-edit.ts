import { isMap, isSeq, parseDocument } from 'yaml';
import { TunnelbotError } from '../../errors.js';
import { fillEmptySeq, insertSeqItem, pairOf } from '../yaml-splice.js';
import { describeYamlError } from '../yaml-error.js';

/**
 * Adds one creation rule to a `.sops.yaml`, keeping every existing rule and line as it was. sops uses the first
 * rule whose `path_regex` matches, so the caller says where the rule goes: before the first rule that matches the
 * same files (a catch-all, say), or at the end when none does.
 */

export interface NewCreationRule {
  readonly pathRegex: string;
  readonly encryptedRegex: string;
  readonly age: string;
}

function ruleValue(rule: NewCreationRule): Record<string, string> {
  return { path_regex: rule.pathRegex, encrypted_regex: rule.encryptedRegex, age: rule.age };
}

/** Go RE2 and JavaScript agree on these escapes, so a literal path is safe in a `path_regex`. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function insertCreationRule(
  text: string | undefined,
  configPath: string,
  rule: NewCreationRule,
  index: number,
  comment: string,
): string {
  if (text === undefined) {
    text =
      '# sops uses the first creation rule whose path_regex matches the file (relative to this directory).\ncreation_rules:\n';
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new TunnelbotError('TB_ERR_SOPS_CONFIG', describeYamlError(document.errors[0]!, text, configPath));
  }
  const root = document.contents;
  if (root === null) {
    const base = text.trim() === '' ? '' : text.endsWith('\n') ? text : `${text}\n`;
    return insertCreationRule(`${base}creation_rules:\n`, configPath, rule, index, comment);
  }
  if (!isMap(root))
    throw new TunnelbotError('TB_ERR_SOPS_CONFIG', `${configPath}: the top level must be a mapping.`);
  const pair = pairOf(root, 'creation_rules');
  if (!pair) {
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    return insertCreationRule(`${text}${separator}creation_rules:\n`, configPath, rule, index, comment);
  }
  const what = 'creation_rules';
  if (isSeq(pair.value) && pair.value.items.length > 0) {
    return insertSeqItem(text, pair.value, index, ruleValue(rule), configPath, what, comment);
  }
  return fillEmptySeq(text, pair, ruleValue(rule), configPath, what, comment);
}
