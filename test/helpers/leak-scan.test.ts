import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { FakeSlack } from '../../src/sandbox/slack/index.js';
import { startCloudflare } from './cloudflare.js';
import { startGitHub, TOKEN } from './github.js';
import { findLeaks, forgetAll, leakForms, recordArtefact, registerSecret } from './leak-scan.js';
import { captureLogs } from './logs.js';

// Every test here plants leaks on purpose; what is left must not fail this file's own end-of-file scan.
afterEach(() => forgetAll());

const SECRET = 'leak-scan-test-secret-0123456789';

test('a registered secret in a log line is found, named by its kind and the artefact, never shown', () => {
  forgetAll();
  registerSecret('test token', SECRET);
  const { logger } = captureLogs();
  assert.deepEqual(findLeaks(), [], 'nothing logged yet');
  logger.info({ detail: `Bearer ${SECRET}` }, 'calling out');
  const leaks = findLeaks();
  assert.deepEqual(leaks, ['the test token (plain) in log lines']);
  assert.ok(!leaks.join('\n').includes(SECRET), 'the finding never shows the secret');
});

for (const offset of [0, 1, 2]) {
  test(`a secret inside a longer base64 text (at byte offset ${offset}) is found`, () => {
    forgetAll();
    registerSecret('test token', SECRET);
    const wrapped = Buffer.from(`${'x'.repeat(offset)}{"token":"${SECRET}"}`).toString('base64');
    captureLogs().logger.info({ data: wrapped }, 'a Kubernetes Secret, base64 encoded');
    assert.equal(findLeaks().length, 1, findLeaks().join('\n'));
    assert.match(findLeaks()[0]!, /^the test token \(base64 \(offset \d\)\) in log lines$/);
  });
}

test('hex, URL-encoded and base64url forms are found; an unrelated text is not', () => {
  const secret = 'a+b/c=d-tunnel-secret?&0123';
  const forms = leakForms(secret).map((form) => form.form);
  assert.ok(forms.includes('hex') && forms.includes('URL-encoded'), forms.join(', '));
  for (const text of [
    Buffer.from(secret).toString('hex'),
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64url'),
  ]) {
    forgetAll();
    registerSecret('test token', secret);
    recordArtefact('a file written', `prefix ${text} suffix`);
    assert.equal(findLeaks().length, 1, text);
  }
  forgetAll();
  registerSecret('test token', secret);
  recordArtefact('a file written', 'nothing secret in here, not even a+b/c=d');
  assert.deepEqual(findLeaks(), []);
});

test('an age identity is a leak wherever it appears, registered or not', () => {
  forgetAll();
  recordArtefact('what Slack was sent', `key: AGE-SECRET-KEY-1${'Q'.repeat(58)}`);
  assert.deepEqual(findLeaks(), ['an age identity (AGE-SECRET-KEY-1…) in what Slack was sent']);
});

test('secrets a stand-in generates are known without registering them: a tunnel secret sent to Slack', async (t) => {
  forgetAll();
  const cloudflare = await startCloudflare();
  t.after(() => cloudflare.stop());
  const tunnel = await cloudflare.adapter.createTunnel('leak-scan');
  const secret = cloudflare.fake.tunnels().find((candidate) => candidate.id === tunnel.id)!.secret;
  const slack = new FakeSlack({
    botToken: 'xoxb-leak-scan-bot-token-0000',
    appToken: 'xapp-leak-scan-app-token-0000',
  });
  const { apiUrl } = await slack.start();
  t.after(() => slack.stop());
  assert.deepEqual(findLeaks(), [], 'creating a tunnel leaks nothing');
  const posted = await fetch(`${apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: 'Bearer xoxb-leak-scan-bot-token-0000', 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'C0FAKECHN1', text: `credentials: ${secret}` }),
  });
  assert.equal(posted.status, 200);
  assert.ok(
    findLeaks().includes('the Cloudflare tunnel secret (plain) in what Slack was sent (Web API calls)'),
    findLeaks().join('\n'),
  );
});

test('what the service writes to GitHub is scanned, base64 file contents decoded', async (t) => {
  forgetAll();
  const github = await startGitHub();
  t.after(() => github.close());
  registerSecret('test token', SECRET);
  assert.deepEqual(findLeaks(), []);
  // A file whose content carries the secret, sent as a base64 blob; the token in its header is no leak.
  const response = await fetch(`${github.fake.url}/repos/acme/gitops/git/blobs`, {
    method: 'POST',
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      content: Buffer.from(`apiVersion: v1\nsecret: ${SECRET}\n`).toString('base64'),
      encoding: 'base64',
    }),
  });
  assert.equal(response.status, 201);
  assert.ok(
    findLeaks().includes('the test token (plain) in what GitHub was sent (PRs, comments, commits, files)'),
    findLeaks().join('\n'),
  );
});

test('the hook fails a test file that leaks, naming the artefact and the kind, not the secret', () => {
  const planted = join(import.meta.dirname, '..', 'fixtures', 'leak-scan', 'planted.test.ts');
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './test/helpers/leak-scan-hook.ts',
      '--test',
      '--test-reporter=spec',
      planted,
    ],
    // Without the runner's marker, or node:test would refuse to run a file from within a test.
    { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
  );
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 1, output);
  assert.match(
    output,
    /leak scan: a secret left the service \(1\):\n\s*- the planted test token \(plain\) in log lines/,
  );
  assert.ok(!output.includes('planted-secret-value-0123456789'), 'the secret is not printed');
});
