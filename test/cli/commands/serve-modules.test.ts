import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { FakeSlack } from '../../../src/sandbox/slack/index.js';
import { runRecordingModules } from '../../helpers/modules.js';
import { serviceEnvironment } from '../../helpers/service.js';
import { SLACK_APP_TOKEN, SLACK_BOT_TOKEN } from '../../helpers/slack.js';
import { startWorld } from '../../helpers/world.js';

/** Whether a recorded module (relative to the checkout: `node_modules/ws/index.js`) belongs to package `name`. */
function ofPackage(url: string, name: string): boolean {
  return url.startsWith(`node_modules/${name}/`) || url.includes(`/node_modules/${name}/`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `url` until it answers 200: /healthz once serve listens, /readyz once every dependency answered. */
async function untilHealthy(url: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${url} never answered 200`);
}

test("serve --without-slack's module graph holds nothing of src/sandbox nor of Slack, up to and after its first 200 from /healthz", async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const port = await freePort();
  const env = { ...serviceEnvironment(world), PORT: String(port) };
  const run = await runRecordingModules(['serve', '--without-slack'], env, () =>
    untilHealthy(`http://127.0.0.1:${port}/healthz`),
  );
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.modules.includes('src/transports/http/health.ts'), 'the recorder saw the server start');
  assert.deepEqual(
    run.modules.filter((url) => url.startsWith('src/sandbox/') || ofPackage(url, 'ws')),
    [],
  );
  // Without Slack, nothing of the Slack stack is loaded (Bolt, the Web API client, Socket Mode).
  assert.deepEqual(
    run.modules.filter(
      (url) =>
        url.startsWith('src/transports/slack/') ||
        ['@slack/bolt', '@slack/web-api', '@slack/socket-mode'].some((name) => ofPackage(url, name)),
    ),
    [],
  );
  // age-encryption (about 20 MiB with its post-quantum code) is loaded when an expose first encrypts, not before.
  assert.deepEqual(
    run.modules.filter((url) => ofPackage(url, 'age-encryption')),
    [],
  );
});

test('serve in Socket Mode runs Bolt without its Express and Lambda receivers: none of them, nor Express, is loaded once it is ready', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
  const { apiUrl } = await slack.start();
  t.after(() => slack.stop());
  const port = await freePort();
  const env = {
    ...serviceEnvironment(world),
    PORT: String(port),
    SLACK_BOT_TOKEN,
    SLACK_APP_TOKEN,
    SLACK_API_URL: apiUrl,
  };
  // Ready means Slack's hello arrived over the socket: Bolt and Socket Mode are loaded and running.
  const run = await runRecordingModules(['serve'], env, () =>
    untilHealthy(`http://127.0.0.1:${port}/readyz`),
  );
  assert.equal(run.code, 0, run.stderr);
  const bolt = run.modules.filter((url) => ofPackage(url, '@slack/bolt'));
  assert.ok(
    bolt.some((url) => url.endsWith('/dist/App.js')),
    'the recorder saw Bolt',
  );
  assert.ok(bolt.some((url) => url.endsWith('/dist/receivers/SocketModeReceiver.js')));
  assert.deepEqual(
    run.modules.filter(
      (url) =>
        ['express', 'body-parser', 'router'].some((name) => ofPackage(url, name)) ||
        /\/dist\/receivers\/(ExpressReceiver|AwsLambdaReceiver)\.js$/.test(url) ||
        url.endsWith('/@slack/bolt/dist/index.js'),
    ),
    [],
  );
});
