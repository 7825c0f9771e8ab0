import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli.js';
import { loadSandboxDemo } from '../../src/cli/commands/demo.js';
import { TunnelbotError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';

test('tunnelbot demo drives the real Slack app through the whole lifecycle and leaves nothing behind', async () => {
  const io = captureIo();
  assert.equal(await main(['demo'], io), 0, io.err);
  // The conversation as people read it: the request with its buttons, the refusal, the merge, live, removed.
  assert.match(
    io.out,
    /#ops {2}Alice: \/expose linkding 9090\n {2}tunnelbot:\n {6}:eyes: \*Expose linkding at linkding\.example\.com \(staging\)\*/,
  );
  assert.match(io.out, /\[Approve & merge\] \[Reject\] \[View PR\]/);
  assert.match(
    io.out,
    /\(only the person who acted sees\)[^\n]*\n {6}You asked for this change, so you cannot approve it/,
  );
  assert.match(
    io.out,
    /Approved by @bob and merged as `[0-9a-f]{7}`\. Waiting for Flux to apply it; the DNS record follows once cloudflared runs\./,
  );
  assert.match(io.out, /DNS records: 0; the hostname waits until Flux runs cloudflared/);
  assert.match(
    io.out,
    /:white_check_mark: \*Expose linkding[^\n]*\n {6}Live at https:\/\/linkding\.example\.com/,
  );
  assert.match(
    io.out,
    /\[Cloudflare\] CNAME linkding\.example\.com -> [0-9a-f-]{36}\.cfargotunnel\.com \(proxied\)/,
  );
  assert.match(io.out, /\+ {4}service: http:\/\/linkding\.linkding\.svc\.cluster\.local:9090/);
  assert.match(io.out, /only in encrypted form in git; the age key decrypts it/);
  assert.match(io.out, /Nothing of linkding is left behind/);
  assert.match(
    io.out,
    /\[Cloudflare\] Access application "linkding\.example\.com \(managed-by: tunnelbot \(sandbox\)\)" created \(aud [0-9a-f]{12}…\)/,
  );
  assert.match(
    io.out,
    /Removed the DNS record of linkding\.example\.com, its tunnel, its Access application, its files/,
  );
  assert.match(
    io.out,
    /tunnels: 0, DNS records: 0, Access applications: 0\n {2}repository identical to the start: yes\n/,
  );
  assert.ok(!io.out.includes('xoxb-') && !io.err.includes('xoxb-'), 'no Slack token printed');
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
