import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isTunnelbotError } from '../../src/errors.js';
import { parseCloudflaredConfig } from '../../src/gitops/cloudflared/index.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/cloudflared/${name}`, import.meta.url), 'utf8');

test('the seed config: tunnel, credentials file, flags and rules with their positions', () => {
  const text = fixture('seed.yaml');
  const config = parseCloudflaredConfig(text, 'seed.yaml');
  assert.equal(config.fileName, 'seed.yaml');
  assert.equal(config.tunnel, 'linkding');
  assert.equal(config.credentialsFile, '/etc/cloudflared/creds/credentials.json');
  assert.deepEqual(config.flags, { metrics: '0.0.0.0:2000', 'no-autoupdate': true });
  assert.deepEqual(config.ingress, [
    { hostname: 'linkding.hervedelaunay.com', service: 'http://linkding:9090' },
    { hostname: 'hello.example.com', service: 'hello_world' },
    { service: 'http_status:404' },
  ]);
  assert.deepEqual(
    config.ruleSpans.map(({ line, column, endLine }) => ({ line, column, endLine })),
    [
      { line: 11, column: 3, endLine: 12 },
      { line: 14, column: 3, endLine: 15 },
      { line: 17, column: 3, endLine: 17 },
    ],
  );
  const [first] = config.ruleSpans;
  assert.ok(first);
  assert.equal(
    text.slice(first.start, first.end).trimEnd(),
    'hostname: linkding.hervedelaunay.com\n  service: http://linkding:9090',
  );
  assert.deepEqual(config.unusedKeys, []);
});

test('the indented config: quoted scalars, originRequest defaults and per rule, warp-routing', () => {
  const config = parseCloudflaredConfig(fixture('indented.yaml'));
  assert.equal(config.credentialsFile, '/etc/cloudflared/creds/credentials.json');
  assert.deepEqual(config.flags, { metrics: '0.0.0.0:2000' });
  assert.deepEqual(config.originRequest, { connectTimeout: '30s' });
  assert.deepEqual(config.warpRouting, { connectTimeout: '5s' });
  assert.deepEqual(config.ingress[0], {
    hostname: 'app.example.com',
    service: 'https://ingress-nginx-controller.ingress-nginx.svc.cluster.local:443',
    originRequest: { noTLSVerify: true, originServerName: 'app.example.com' },
  });
  assert.equal(config.ingress[1]?.hostname, '*.preview.example.com');
  assert.deepEqual(
    config.ruleSpans.map((span) => span.line),
    [11, 16, 20],
  );
});

test('aliases and merge keys resolve as in yaml.v3', () => {
  const config = parseCloudflaredConfig(
    'x-defaults: &defaults {noTLSVerify: true}\ningress:\n  - hostname: a.example.com\n    service: https://a:443\n    originRequest:\n      <<: *defaults\n      originServerName: a\n  - service: http_status:404\n',
  );
  assert.deepEqual(config.ingress[0]?.originRequest, { noTLSVerify: true, originServerName: 'a' });
  assert.deepEqual(config.unusedKeys, []);
});

test('a top level that is not a mapping is a type error', () => {
  assert.throws(
    () => parseCloudflaredConfig('- service: http_status:404\n'),
    (error) =>
      isTunnelbotError(error) &&
      error.code === 'TB_ERR_CLOUDFLARED_CONFIG_TYPE' &&
      /line 1/.test(error.message),
  );
});

test('duplicate keys are a YAML error, as in yaml.v3', () => {
  assert.throws(
    () => parseCloudflaredConfig('tunnel: a\ntunnel: b\ningress:\n  - service: http_status:404\n'),
    (error) =>
      isTunnelbotError(error) &&
      error.code === 'TB_ERR_CLOUDFLARED_YAML_PARSE' &&
      /line 2/.test(error.message),
  );
});
