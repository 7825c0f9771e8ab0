import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkRe2Syntax,
  compileRe2,
  Re2SyntaxError,
  Re2UnsupportedError,
} from '../../src/gitops/cloudflared/re2.js';

function goError(pattern: string): string | undefined {
  try {
    checkRe2Syntax(pattern);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof Re2SyntaxError, `unexpected ${String(error)}`);
    return error.message;
  }
}

const err = (reason: string, expr: string) => `error parsing regexp: ${reason}: \`${expr}\``;

describe('RE2 syntax: what Go regexp.Compile rejects, with its message', () => {
  const rejected: Array<[string, string]> = [
    ['a**', err('invalid nested repetition operator', '**')],
    ['a*?*', err('invalid nested repetition operator', '*?*')],
    ['a{2}{3}', err('invalid nested repetition operator', '{2}{3}')],
    ['*', err('missing argument to repetition operator', '*')],
    ['a|*', err('missing argument to repetition operator', '*')],
    ['(*)', err('missing argument to repetition operator', '*')],
    ['+?', err('missing argument to repetition operator', '+?')],
    ['{2}', err('missing argument to repetition operator', '{2}')],
    ['x{2,1}', err('invalid repeat count', '{2,1}')],
    ['(x{100}){100}', err('invalid repeat count', '{100}')],
    ['x{2,123456789}', err('invalid repeat count', '{2,123456789}')],
    ['x{123456789}', err('invalid repeat count', '{123456789}')],
    ['(?P<>a)', err('invalid named capture', '(?P<>')],
    ['(?P<a-b>x)', err('invalid named capture', '(?P<a-b>')],
    ['(?P<name', err('invalid named capture', '(?P<name')],
    ['(?P=a)', err('invalid or unsupported Perl syntax', '(?P')],
    ['(?#comment)', err('invalid or unsupported Perl syntax', '(?#')],
    ['(?>atomic)', err('invalid or unsupported Perl syntax', '(?>')],
    ['(?i-)x', err('invalid or unsupported Perl syntax', '(?i-)')],
    ['(?', err('invalid or unsupported Perl syntax', '(?')],
    ['[[:foo:]]', err('invalid character class range', '[:foo:]')],
    ['\\8', err('invalid escape sequence', '\\8')],
    ['\\x{110000}', err('invalid escape sequence', '\\x{110000')],
    ['\\x{}', err('invalid escape sequence', '\\x{}')],
    ['\\xZZ', err('invalid escape sequence', '\\xZZ')],
    ['[\\b]', err('invalid escape sequence', '\\b')],
    ['\\C', err('invalid escape sequence', '\\C')],
    ['\\Z', err('invalid escape sequence', '\\Z')],
    ['\\k<name>', err('invalid escape sequence', '\\k')],
    ['\\é', err('invalid escape sequence', '\\é')],
    ['\\p{Foo}', err('invalid character class range', '\\p{Foo}')],
    ['\\p{Grek}', err('invalid character class range', '\\p{Grek}')],
    ['\\p{Greek', err('invalid character class range', '\\p{Greek')],
    ['[a-\\d]', err('invalid escape sequence', '\\d')],
    ['[^]', err('missing closing ]', '[^]')],
    ['[]', err('missing closing ]', '[]')],
    ['x)', err('unexpected )', 'x)')],
    ['((x)', err('missing closing )', '((x)')],
  ];
  for (const [pattern, message] of rejected) {
    test(`rejects ${pattern}`, () => assert.equal(goError(pattern), message));
  }

  const accepted = [
    'a{,2}',
    'a{2',
    'a{01}',
    '(?)',
    '(?i)(?-i)x',
    '(?U)a+?',
    '[]a]',
    '[a-]',
    '\\_',
    '\\/api',
    '^*a',
    '\\p{Greek}\\pL\\PN\\p{^Lu}',
    '[\\p{Han}\\d[:^space:]]',
    '\\Qa(b\\E',
    '\\Q(unterminated',
    'x{1000}',
    '(a{10}){100}',
    '(?s:.)(?m:^$)',
  ];
  for (const pattern of accepted) {
    test(`accepts ${pattern}`, () => assert.equal(goError(pattern), undefined));
  }
});

describe('RE2 matching through the JavaScript translation (unanchored, like Go MatchString)', () => {
  const cases: Array<[pattern: string, input: string, matches: boolean]> = [
    ['^/api', '/api/users', true],
    ['^/api', '/v1/api', false],
    ['/health', '/api/healthz', true],
    ['(?i)^/admin', '/ADMIN', true],
    ['^/(?i:admin)/x', '/AdMiN/x', true],
    ['^/(?i:admin)/x', '/admin/X', false],
    ['(?i:k)', '\u212a', true],
    ['\\Q.*\\E', '/a.*b', true],
    ['\\Q.*\\E', '/ab', false],
    ['^[[:upper:]]{2}$', 'AB', true],
    ['^[[:upper:]]{2}$', 'Ab', false],
    ['^a.b$', 'a\nb', false],
    ['(?s)^a.b$', 'a\nb', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['/x\\z', '/x\n', false],
    ['^\\x{41}\\101$', 'AA', true],
    ['\\s', '\u000b', false],
    ['\\s', '\t', true],
    ['[\\S]', ' ', false],
    ['[\\S]', 'x', true],
    ['^\\pL+$', 'été', true],
    ['\\p{Greek}', 'α', true],
    ['^\\w+$', 'é', false],
    ['^a{2,3}$', 'aa', true],
    ['^a{2,3}$', 'a', false],
    ['^*a', 'a', true],
    ['(?i)[a-c]', 'B', true],
    ['^[\\d-]+$', '1-2', true],
    ['^(?P<id>\\d+)/(?<n>x)$', '42/x', true],
    ['(?U)^a+$', 'aaa', true],
  ];
  for (const [pattern, input, expected] of cases) {
    test(`${pattern} on ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(compileRe2(pattern).test(input), expected);
    });
  }

  test('a class under a scoped (?i) is valid Go but reported as not evaluable', () => {
    assert.equal(goError('(?i:[a-c])x'), undefined);
    assert.throws(() => compileRe2('(?i:[a-c])x'), Re2UnsupportedError);
  });
});
