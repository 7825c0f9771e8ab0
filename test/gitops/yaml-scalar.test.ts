import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { readsBackPlain, yamlScalar } from '../../src/gitops/yaml-scalar.js';

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
