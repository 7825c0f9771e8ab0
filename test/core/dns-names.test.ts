import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DNS_LABEL, DNS_NAME } from '../../src/core/dns-names.js';

test('DNS_LABEL takes 1 to 63 lowercase letters, digits and inner dashes', () => {
  for (const ok of ['a', '0', 'linkding', 'a-b', 'x'.repeat(63)]) assert.ok(DNS_LABEL.test(ok), ok);
  for (const bad of ['', 'A', '-a', 'a-', 'a.b', 'x'.repeat(64), 'a_b']) assert.ok(!DNS_LABEL.test(bad), bad);
});

test('DNS_NAME takes two labels or more, 253 characters at most, no trailing dot', () => {
  const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  assert.equal(long.length, 253);
  for (const ok of ['example.com', 'a.b.c', long]) assert.ok(DNS_NAME.test(ok), ok);
  for (const bad of ['com', 'example.com.', 'Example.com', 'a..b', `${long}x`, `-a.com`])
    assert.ok(!DNS_NAME.test(bad), bad);
});
