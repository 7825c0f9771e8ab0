import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureLogs } from '../helpers/logs.js';

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
