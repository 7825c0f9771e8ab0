import assert from 'node:assert/strict';
import { test } from 'node:test';
import { censorSecrets } from '../src/log.js';
import { captureLogs } from './helpers/logs.js';

test('the logger censors secret-bearing fields wherever a careless call site puts them', () => {
  const logs = captureLogs();
  logs.logger.info(
    {
      token: 'tok-1',
      tunnelSecret: 'sec-2',
      credentials: { TunnelSecret: 'sec-3' },
      req: { headers: { authorization: 'Bearer tok-4', 'x-hub-signature-256': 'sha256=sig-5' } },
      options: { privateKey: 'key-6', identity: 'AGE-SECRET-KEY-7' },
      app: 'linkding',
    },
    'request',
  );
  for (const secret of ['tok-1', 'sec-2', 'sec-3', 'tok-4', 'sig-5', 'key-6', 'AGE-SECRET-KEY-7']) {
    assert.ok(!logs.text.includes(secret), `${secret} reached the log: ${logs.text}`);
  }
  assert.match(logs.text, /"app":"linkding"/);
  assert.match(logs.text, /\[redacted\]/);
});

test('secrets are censored at any depth, in arrays, in errors and their causes, and in child bindings', () => {
  const logs = captureLogs();
  const cause = Object.assign(new Error('upstream said no'), {
    request: { headers: { Authorization: 'tok-8' } },
  });
  const error = Object.assign(new Error('creating the tunnel failed', { cause }), {
    details: { tunnel: { credentials: { AccountTag: 'a', TunnelSecret: 'sec-9' } } },
  });
  const child = logs.logger.child({ token: 'tok-10', job: { secret: 'sec-11' } });
  child.warn(
    {
      deep: { a: { b: { c: { d: { dataKey: 'key-12' } } } } },
      list: [{ PrivateKey: 'key-13' }, 'plain'],
      err: error,
    },
    'something failed',
  );
  for (const secret of ['tok-8', 'sec-9', 'tok-10', 'sec-11', 'key-12', 'key-13']) {
    assert.ok(!logs.text.includes(secret), `${secret} reached the log: ${logs.text}`);
  }
  // What is not secret is kept, the error's message, stack and cause included.
  const line = JSON.parse(logs.text.trim().split('\n').at(-1)!) as {
    err: { message: string; stack: string; type: string; details: { tunnel: { credentials: unknown } } };
    list: unknown[];
    deep: { a: { b: { c: { d: { dataKey: unknown } } } } };
    job: { secret: unknown };
  };
  assert.match(line.err.message, /^creating the tunnel failed/);
  assert.match(line.err.stack, /creating the tunnel failed/);
  assert.equal(line.err.type, 'Error');
  assert.equal(line.err.details.tunnel.credentials, '[redacted]');
  assert.match(JSON.stringify(line.err), /upstream said no/);
  assert.equal(line.list[1], 'plain');
  assert.equal(line.deep.a.b.c.d.dataKey, '[redacted]');
  assert.equal(line.job.secret, '[redacted]');
});

test('censoring copies on write: the caller objects stay as they were, and a clean object is not copied', () => {
  const headers = { authorization: 'Bearer tok-14', accept: 'application/json' };
  const logged = { request: { headers }, app: 'linkding' };
  const censored = censorSecrets(logged);
  assert.deepEqual(censored, {
    request: { headers: { authorization: '[redacted]', accept: 'application/json' } },
    app: 'linkding',
  });
  assert.equal(headers.authorization, 'Bearer tok-14');
  const clean = { app: 'linkding', nested: { port: 9090 }, list: [1, 2] };
  assert.equal(censorSecrets(clean), clean);
  // A cycle ends at the depth bound instead of looping.
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic['self'] = cyclic;
  assert.doesNotThrow(() => censorSecrets(cyclic));
});
