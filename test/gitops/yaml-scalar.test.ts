import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { readsBackPlain, yamlScalar } from '../../src/gitops/yaml-scalar.js';
import { FUZZ_SEED } from '../helpers/fuzz.js';

test('values YAML 1.1 or 1.2 would read as something else are double-quoted; plain strings stay plain', () => {
  // YAML 1.1 (Kubernetes): booleans y/n/yes/on/off, ints with _ or 0b, sexagesimal, dates; YAML 1.2: 1e3, 0x1f, null.
  for (const typed of [
    '2',
    '1e3',
    '0x1f',
    '0b11',
    '1_000',
    '1:20',
    'y',
    'N',
    'yes',
    'on',
    'Off',
    'no',
    'true',
    'null',
    '~',
    '2026-12-08',
    '.inf',
    '',
    ' a',
    'a\nb',
    'a: b',
    '#x',
    '*x',
    '&x',
  ]) {
    assert.equal(readsBackPlain(typed), false, typed);
    const rendered = yamlScalar(typed);
    for (const version of ['1.1', '1.2'] as const) {
      assert.equal(parse(`k: ${rendered}\n`, { version }).k, typed, `${typed} in YAML ${version}`);
    }
  }
  for (const plain of [
    'linkding',
    'cloudflared-2',
    'http://2.default.svc.cluster.local:9090',
    'cloudflare/cloudflared:2026.8.2',
    'a.example.com',
    '1-2',
  ]) {
    assert.equal(yamlScalar(plain), plain);
  }
});

test('property: any string written by yamlScalar reads back as itself in YAML 1.1 and 1.2, with nothing YAML forbids raw', () => {
  const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  // The characters YAML does not allow raw (C0 but tab and line breaks, DEL, C1, BOM, non-characters) or that YAML
  // 1.1 reads as line breaks.
  // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
  const unsafeRaw = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 16 }),
        fc.stringMatching(/^[a-z0-9.:_/@%!&*#|>'" \-[\]{},?~=<]{0,12}$/),
        fc.constantFrom('a\u2028b', 'a\u0085b', '\ud800', '\ufeffa', 'a\u007fb', 'on', '2', '-1', '.5'),
      ),
      (value) => {
        const rendered = yamlScalar(value);
        assert.ok(!unsafeRaw.test(rendered) && !loneSurrogate.test(rendered), JSON.stringify(rendered));
        for (const version of ['1.1', '1.2'] as const) {
          assert.equal(
            parse(`k: ${rendered}\n`, { version }).k,
            value,
            `${JSON.stringify(value)} in YAML ${version}`,
          );
        }
      },
    ),
    { numRuns: 3000, seed: FUZZ_SEED },
  );
});
