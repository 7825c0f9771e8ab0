import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/io.js';

const dir = mkdtempSync(join(tmpdir(), 'tunnelbot-cloudflared-cli-'));
function configFile(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const VALID = configFile(
  'valid.yaml',
  [
    'tunnel: linkding',
    'ingress:',
    '  - hostname: linkding.example.com',
    '    service: http://linkding:9090',
    '  - hostname: "*.apps.example.com"',
    '    service: http://apps:80',
    '  - service: http_status:404',
    '',
  ].join('\n'),
);
const WITH_UNUSED_KEY = configFile(
  'unused.yaml',
  'ingress:\n  - hostname: a.example.com\n    service: http://a:80\n    originRequest: {noTLSVerfy: true}\n  - service: http_status:404\n',
);
const TRAILING_SLASH = configFile(
  'slash.yaml',
  'ingress:\n  - hostname: a.example.com\n    service: http://a:80/\n  - service: http_status:404\n',
);
const TAB = configFile('tab.yaml', 'ingress:\n\t- service: http_status:404\n');

describe('tunnelbot validate FILE', () => {
  test('a valid config prints OK and exits 0', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['validate', VALID], io), 0);
    assert.equal(io.out, 'OK\n');
    assert.equal(io.err, '');
  });

  test('unused keys are warnings on stderr; still OK', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['validate', WITH_UNUSED_KEY], io), 0);
    assert.equal(io.out, 'OK\n');
    assert.equal(
      io.err,
      'Warning: unused keys detected in your config file. Here is a list of unused keys:\n' +
        '  line 4: field noTLSVerfy not found in type config.OriginRequestConfig\n',
    );
  });

  test('an invalid config prints "Validation failed: <cloudflared error>" and exits 1', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['validate', TRAILING_SLASH], io), 1);
    assert.equal(io.out, '');
    assert.match(
      io.err,
      /^tunnelbot validate: Validation failed: http:\/\/a:80\/ is an invalid address, ingress rules don't support proxying to a different path on the origin service/,
    );
    assert.match(io.err, /\nFix: .*\(TB_ERR_CLOUDFLARED_INVALID_CONFIG\)\n$/);
  });

  test('invalid YAML names the file and line', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['validate', TAB], io), 1);
    assert.match(io.err, /tab\.yaml line 2, column 1: Tabs are not allowed as indentation/);
  });

  test('a missing file or argument', async () => {
    const missing = captureIo(dir);
    assert.equal(await main(['validate', 'nope.yaml'], missing), 1);
    assert.match(missing.err, /Cannot read nope\.yaml: ENOENT/);
    const usage = captureIo(dir);
    assert.equal(await main(['validate'], usage), 1);
    assert.match(usage.err, /TB_ERR_USAGE/);
  });
});

describe('tunnelbot rule FILE URL', () => {
  const cases: Array<[string, number]> = [
    ['https://linkding.example.com/bookmarks', 0],
    ['https://x.apps.example.com:8443/', 1],
    ['https://apps.example.com/', 2],
    ['http://elsewhere.example.org', 2],
  ];
  for (const [url, index] of cases) {
    test(`${url} → Matched rule #${index}`, async () => {
      const io = captureIo(dir);
      assert.equal(await main(['rule', VALID, url], io), 0);
      assert.equal(io.out, `Matched rule #${index}\n`);
    });
  }

  test('a URL without host or scheme exits 1', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['rule', VALID, 'linkding.example.com'], io), 1);
    assert.match(
      io.err,
      /linkding\.example\.com doesn't have a hostname, consider adding a scheme\n.*TB_ERR_CLOUDFLARED_INVALID_URL/,
    );
  });

  test('an invalid config exits 1 before matching', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['rule', TRAILING_SLASH, 'https://a.example.com/'], io), 1);
    assert.equal(io.out, '');
    assert.match(io.err, /Validation failed: http:\/\/a:80\/ is an invalid address/);
  });

  test('missing URL is a usage error', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['rule', VALID], io), 1);
    assert.match(io.err, /TB_ERR_USAGE/);
  });
});
