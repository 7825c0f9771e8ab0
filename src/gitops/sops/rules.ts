import { compileGoRegex } from './regex.js';

/** Which values sops encrypts; at most one rule per file (sops rejects more). */
export type CryptRule =
  | {
      kind: 'encrypted_regex' | 'unencrypted_regex' | 'encrypted_comment_regex' | 'unencrypted_comment_regex';
      value: string;
    }
  | { kind: 'encrypted_suffix' | 'unencrypted_suffix'; value: string };

type CryptRuleKind = CryptRule['kind'];

export const CRYPT_RULE_KINDS: readonly CryptRuleKind[] = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
];

/** What sops writes and assumes when no rule is given. */
export const DEFAULT_CRYPT_RULE: CryptRule = { kind: 'unencrypted_suffix', value: '_unencrypted' };

export function isCommentRule(rule: CryptRule): boolean {
  return rule.kind === 'encrypted_comment_regex' || rule.kind === 'unencrypted_comment_regex';
}

/**
 * sops `shouldBeEncrypted`: every path component (ancestors and the leaf key) is tested, so a matching key decides
 * for its whole subtree. Comment rules look at the comments attached to each key on the path instead.
 */
export type EncryptionDecider = (path: readonly string[], pathComments: readonly string[]) => boolean;

/** Compiles the rule once; throws GoRegexError for a pattern JavaScript cannot express. */
export function compileCryptRule(rule: CryptRule): EncryptionDecider {
  switch (rule.kind) {
    case 'unencrypted_suffix':
      return (path) => !path.some((key) => key.endsWith(rule.value));
    case 'encrypted_suffix':
      return (path) => path.some((key) => key.endsWith(rule.value));
    case 'unencrypted_regex': {
      const regex = compileGoRegex(rule.value);
      return (path) => !path.some((key) => regex.test(key));
    }
    case 'encrypted_regex': {
      const regex = compileGoRegex(rule.value);
      return (path) => path.some((key) => regex.test(key));
    }
    case 'unencrypted_comment_regex': {
      const regex = compileGoRegex(rule.value);
      return (_path, comments) => !comments.some((comment) => regex.test(comment));
    }
    case 'encrypted_comment_regex': {
      const regex = compileGoRegex(rule.value);
      return (_path, comments) => comments.some((comment) => regex.test(comment));
    }
  }
}
