import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatGoFloat,
  goBytesText,
  mustQuoteString,
  parseYamlTimestamp,
  resolvePlainScalar,
} from '../../src/gitops/sops/goformat.js';
import { macAadFromLastModified, formatLastModified } from '../../src/gitops/sops/metadata.js';

describe("Go's strconv.FormatFloat(v, 'f', -1, 64)", () => {
  const cases: [number, string][] = [
    [1.5e-7, '0.00000015'],
    [1.0, '1'],
    [1.5, '1.5'],
    [-2.25, '-2.25'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1000000000000000000000'],
    [123456789.125, '123456789.125'],
    [5e-324, `0.${'0'.repeat(323)}5`],
    [-0, '-0'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [Number.NaN, 'NaN'],
  ];
  for (const [value, expected] of cases) {
    test(`${String(value)} -> ${expected.length > 30 ? `${expected.slice(0, 12)}…` : expected}`, () => {
      assert.equal(formatGoFloat(value), expected);
    });
  }
  test('1.7976931348623157e308 prints all 309 integer digits', () => {
    const text = formatGoFloat(Number.MAX_VALUE);
    assert.equal(text.length, 309);
    assert.ok(text.startsWith('17976931348623157'));
  });
});

describe('how yaml.v3 types plain scalars', () => {
  const cases: [string, string, string | undefined][] = [
    ['42', 'int', '42'],
    ['-7', 'int', '-7'],
    ['+5', 'int', '5'],
    ['0x1F', 'int', '31'],
    ['0o17', 'int', '15'],
    ['017', 'int', '15'],
    ['0b101', 'int', '5'],
    ['1_000', 'int', '1000'],
    ['08', 'float', '8'],
    ['1.5', 'float', '1.5'],
    ['1e3', 'float', '1000'],
    ['.5', 'float', '0.5'],
    ['1e400', 'str', '1e400'],
    ['.inf', 'float', '+Inf'],
    ['-.Inf', 'float', '-Inf'],
    ['.NaN', 'float', 'NaN'],
    ['true', 'bool', 'True'],
    ['FALSE', 'bool', 'False'],
    ['yes', 'str', 'yes'],
    ['on', 'str', 'on'],
    ['y', 'str', 'y'],
    ['9223372036854775807', 'int', '9223372036854775807'],
    ['3.10.2', 'str', '3.10.2'],
    ['1:20', 'str', '1:20'],
    ['2024-01-01', 'time', '2024-01-01T00:00:00Z'],
    ['2024-1-2T3:04:05.120+01:00', 'time', '2024-01-02T03:04:05.12+01:00'],
    ['2024-01-01 10:00:00', 'time', '2024-01-01T10:00:00Z'],
    ['2024-02-30', 'str', '2024-02-30'],
    ['-', 'str', '-'],
  ];
  for (const [text, kind, bytes] of cases) {
    test(`${text} is ${kind}`, () => {
      const value = resolvePlainScalar(text);
      assert.equal(value.kind, kind);
      if (value.kind !== 'null') assert.equal(goBytesText(value), bytes);
    });
  }
  for (const text of ['', '~', 'null', 'Null', 'NULL']) {
    test(`${JSON.stringify(text)} is null`, () => assert.equal(resolvePlainScalar(text).kind, 'null'));
  }
  test('timestamps need a zone with T and none with a space', () => {
    assert.equal(parseYamlTimestamp('2024-01-01T10:00:00'), undefined);
    assert.equal(parseYamlTimestamp('2024-01-01 10:00:00Z'), undefined);
  });
});

describe('strings that must be quoted to stay strings', () => {
  for (const text of [
    'yes',
    'No',
    'on',
    'OFF',
    'y',
    'n',
    '~',
    'null',
    '',
    '123',
    '-1',
    '1.5',
    '.5',
    '2024-01-01',
    '0x1F',
    '<<',
    '1:20',
  ]) {
    test(JSON.stringify(text), () => assert.equal(mustQuoteString(text), true));
  }
  for (const text of ['hello', 'age1abc', 'ENC[x]', 'v1', 'Secret']) {
    test(`${JSON.stringify(text)} can stay plain`, () => assert.equal(mustQuoteString(text), false));
  }
});

describe('lastmodified', () => {
  test('is written in UTC with second precision', () => {
    assert.equal(formatLastModified(new Date('2025-01-02T03:04:05.999Z')), '2025-01-02T03:04:05Z');
  });
  test('is re-formatted for the MAC AAD like Go time.Format(RFC3339)', () => {
    assert.equal(macAadFromLastModified('2025-01-02T03:04:05Z'), '2025-01-02T03:04:05Z');
    assert.equal(macAadFromLastModified('2025-01-02T03:04:05.123456Z'), '2025-01-02T03:04:05Z');
    assert.equal(macAadFromLastModified('2025-01-02T04:04:05+01:00'), '2025-01-02T04:04:05+01:00');
    assert.equal(macAadFromLastModified('2025-01-02T03:04:05-00:00'), '2025-01-02T03:04:05Z');
    for (const bad of [
      '2025-01-02',
      '2025-13-02T03:04:05Z',
      '2025-01-02 03:04:05Z',
      'yesterday',
      '2025-02-30T00:00:00Z',
    ]) {
      assert.equal(macAadFromLastModified(bad), undefined, bad);
    }
  });
});
