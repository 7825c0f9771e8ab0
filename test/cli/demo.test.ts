import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/io.js';

test('tunnelbot demo runs the whole lifecycle against the local fakes and leaves nothing behind', async () => {
  const io = captureIo();
  assert.equal(await main(['demo'], io), 0, io.err);
  assert.match(io.out, /Cloudflare Tunnel tunnelbot-demo-linkding created/);
  assert.match(io.out, /DNS: CNAME linkding\.example\.com -> [0-9a-f-]{36}\.cfargotunnel\.com \(proxied/);
  assert.match(io.out, /decrypts it to the tunnel's credentials: yes/);
  assert.match(io.out, /tunnels: 0, DNS records: 0\n {3}repository identical to the start: yes\n$/);
});
