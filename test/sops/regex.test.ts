import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGoRegex, GoRegexError } from '../../src/gitops/sops/regex.js';

function matches(pattern: string, text: string): boolean {
  return compileGoRegex(pattern).test(text);
}

describe('Go RE2 patterns translated to JavaScript', () => {
  test('plain patterns are unanchored, as in Go regexp.MatchString', () => {
    assert.ok(matches('secrets/', 'apps/secrets/x.yaml'));
    assert.ok(matches('\\.yaml$', 'a/b.yaml'));
    assert.ok(!matches('\\.yaml$', 'a/b.yaml.bak'));
    assert.ok(matches('^(data|stringData)$', 'stringData'));
    assert.ok(!matches('^(data|stringData)$', 'metadata'));
  });

  test('\\s is ASCII whitespace only, like RE2', () => {
    assert.ok(matches('^a\\sb$', 'a\tb'));
    assert.ok(!matches('^a\\sb$', 'a\u00a0b'));
    assert.ok(!matches('^a\\sb$', 'a\vb'));
    assert.ok(matches('^[\\s]$', ' '));
  });

  test('the dot excludes only \\n, unless (?s)', () => {
    assert.ok(matches('^a.b$', 'a\rb'));
    assert.ok(!matches('^a.b$', 'a\nb'));
    assert.ok(matches('(?s)^a.b$', 'a\nb'));
  });

  test('RE2-only syntax: (?i), (?P<name>), \\A, \\z, \\Q…\\E, POSIX classes, \\pL, \\x{…}', () => {
    assert.ok(matches('(?i)^prod$', 'PROD'));
    assert.ok(matches('^(?P<env>prod|dev)/', 'dev/x'));
    assert.ok(matches('\\Aabc\\z', 'abc'));
    assert.ok(!matches('\\Aabc\\z', 'abc\n'));
    assert.ok(matches('^\\Qa.b*c\\E$', 'a.b*c'));
    assert.ok(!matches('^\\Qa.b\\E$', 'aXb'));
    assert.ok(matches('^[[:alpha:]]+[[:digit:]]$', 'abc1'));
    assert.ok(matches('^\\pL+$', 'äöü'));
    assert.ok(matches('^\\p{Greek}$', 'λ'));
    assert.ok(matches('^\\x{263a}$', '☺'));
    assert.ok(matches('^[]a]+$', ']a]'), 'a leading ] in a class is a literal in RE2');
    assert.ok(matches('^a{,2}$', 'a{,2}'), 'a brace that is not a repetition is literal');
    assert.ok(matches('^a{2}$', 'aa'));
    assert.ok(matches('^\\-\\#$', '-#'));
  });

  test('what RE2 or JavaScript cannot express is refused with a reason', () => {
    const refused: [string, RegExp][] = [
      ['(?=a)', /lookaround/],
      ['(?<!a)b', /lookaround/],
      ['a(?i)b', /only supported at the very start/],
      ['(?U)a+', /ungreedy/],
      ['\\1', /unsupported escape/],
      ['[[:^alpha:]]', /POSIX class/],
      ['([a-z', /.+/],
      ['\\p{NoSuchScript}', /.+/],
    ];
    for (const [pattern, reason] of refused) {
      assert.throws(
        () => compileGoRegex(pattern),
        (error: Error) => error instanceof GoRegexError && reason.test(error.message),
        pattern,
      );
    }
  });
});
