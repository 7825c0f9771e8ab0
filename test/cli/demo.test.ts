import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli.js';
import { loadSandboxDemo } from '../../src/cli/commands/demo.js';
import { TunnelbotError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';

test('tunnelbot demo runs the whole lifecycle against the local fakes and leaves nothing behind', async () => {
  const io = captureIo();
  assert.equal(await main(['demo'], io), 0, io.err);
  assert.match(io.out, /Cloudflare Tunnel tunnelbot-demo-linkding created/);
  assert.match(io.out, /DNS: CNAME linkding\.example\.com -> [0-9a-f-]{36}\.cfargotunnel\.com \(proxied/);
  assert.match(io.out, /decrypts it to the tunnel's credentials: yes/);
  assert.match(
    io.out,
    /tunnels: 0, DNS records: 0\n {3}repository identical to the start: yes\n\nWhat to try next:\n/,
  );
  assert.doesNotMatch(io.out, /Kept running/);
});

test('without the sandbox (the container image) the demo says so instead of crashing', async () => {
  const missing = Object.assign(
    new Error("Cannot find module '/app/dist/sandbox/demo.js' imported from /app/dist/cli/commands/demo.js"),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
  await assert.rejects(
    loadSandboxDemo(() => Promise.reject(missing)),
    (error: unknown) =>
      error instanceof TunnelbotError &&
      error.code === 'TB_ERR_SANDBOX_UNAVAILABLE' &&
      /has no sandbox/.test(error.message),
  );
  const other = new Error('boom');
  await assert.rejects(
    loadSandboxDemo(() => Promise.reject(other)),
    (error) => error === other,
  );
  assert.equal(typeof (await loadSandboxDemo()).runDemo, 'function');
});
