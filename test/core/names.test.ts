import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  resolveHostname,
  validateAppName,
  validateNamespace,
  validatePort,
  validateTunnelCredentials,
} from '../../src/core/names.js';
import { TunnelbotError, type ErrorCode } from '../../src/errors.js';
import type { Environment } from '../../src/core/settings.js';

function fails(code: ErrorCode, run: () => unknown, message?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof TunnelbotError, String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const staging: Environment = {
  name: 'staging',
  path: 'apps/staging',
  domain: 'example.com',
  tunnelMode: 'per-app',
  namespace: 'default',
};

test('app names must be DNS-1123 labels short enough for cloudflared-<app>', () => {
  assert.equal(validateAppName('linkding'), 'linkding');
  assert.equal(validateAppName('a'.repeat(51)), 'a'.repeat(51));
  for (const bad of ['Linkding', 'link_ding', '-app', 'app-', '', 'a.b', 'app ding']) {
    fails('TB_ERR_PLAN_INVALID_APP', () => validateAppName(bad), /lowercase letters, digits and "-"/);
  }
  fails(
    'TB_ERR_PLAN_INVALID_APP',
    () => validateAppName('a'.repeat(52)),
    /52 characters long \(at most 51\)/,
  );
});

test('ports are integers from 1 to 65535', () => {
  assert.equal(validatePort('9090'), 9090);
  assert.equal(validatePort(1), 1);
  assert.equal(validatePort('65535'), 65535);
  for (const bad of ['0', '65536', '-1', '80.5', 'http', '', '1e3', '0x50']) {
    fails('TB_ERR_PLAN_INVALID_PORT', () => validatePort(bad), /use a number from 1 to 65535/);
  }
});

test('namespaces are DNS-1123 labels', () => {
  assert.equal(validateNamespace('linkding'), 'linkding');
  fails('TB_ERR_PLAN_INVALID_NAMESPACE', () => validateNamespace('Link_Ding'));
});

test('hostnames default to <app>.<domain> and must stay bare and inside the zones', () => {
  assert.equal(resolveHostname('linkding', staging, undefined), 'linkding.example.com');
  assert.equal(resolveHostname('linkding', staging, 'Links.Example.com.'), 'links.example.com');
  assert.equal(resolveHostname('linkding', staging, 'example.com'), 'example.com');
  fails(
    'TB_ERR_PLAN_INVALID_HOSTNAME',
    () => resolveHostname('x', staging, 'x.example.com:443'),
    /port, path/,
  );
  fails(
    'TB_ERR_PLAN_INVALID_HOSTNAME',
    () => resolveHostname('x', staging, 'https://x.example.com'),
    /scheme/,
  );
  fails('TB_ERR_PLAN_INVALID_HOSTNAME', () => resolveHostname('x', staging, 'x.example.com/app'));
  fails(
    'TB_ERR_PLAN_INVALID_HOSTNAME',
    () => resolveHostname('x', staging, 'x.example.org'),
    /outside the zones/,
  );
  fails(
    'TB_ERR_PLAN_INVALID_HOSTNAME',
    () => resolveHostname('x', staging, 'notexample.com'),
    /outside the zones/,
  );
  fails('TB_ERR_PLAN_INVALID_HOSTNAME', () => resolveHostname('x', staging, 'bad_label.example.com'));
  fails('TB_ERR_PLAN_INVALID_HOSTNAME', () => resolveHostname('x', staging, '*.example.com'));
  const noDomain = { ...staging, domain: undefined };
  fails('TB_ERR_PLAN_INVALID_HOSTNAME', () => resolveHostname('x', noDomain, undefined), /has no domain/);
  assert.equal(resolveHostname('x', noDomain, 'x.anything.dev'), 'x.anything.dev');
});

test('tunnel credentials are checked without the secret ever appearing in the error', () => {
  const good = {
    AccountTag: '0123456789abcdef0123456789abcdef',
    TunnelSecret: Buffer.alloc(32, 7).toString('base64'),
    TunnelID: '6ff42ae2-765d-4adf-8112-31c55c1551ef',
    Endpoint: '',
  };
  assert.deepEqual(validateTunnelCredentials(good), good);
  const short = Buffer.alloc(31, 9).toString('base64');
  for (const TunnelSecret of [short, 'not base64!!', `${good.TunnelSecret}x`]) {
    assert.throws(
      () => validateTunnelCredentials({ ...good, TunnelSecret }),
      (error: unknown) =>
        error instanceof TunnelbotError &&
        error.code === 'TB_ERR_PLAN_INVALID_TUNNEL' &&
        !error.message.includes(TunnelSecret) &&
        /at least 32 bytes/.test(error.message),
    );
  }
  fails(
    'TB_ERR_PLAN_INVALID_TUNNEL',
    () => validateTunnelCredentials({ ...good, TunnelID: 'linkding' }),
    /not a lowercase UUID/,
  );
  fails(
    'TB_ERR_PLAN_INVALID_TUNNEL',
    () => validateTunnelCredentials({ ...good, AccountTag: 'xyz' }),
    /32 lowercase hex/,
  );
});
