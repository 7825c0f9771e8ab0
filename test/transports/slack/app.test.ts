import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isTunnelbotError } from '../../../src/errors.js';
import type { RequestService } from '../../../src/requests/service.js';
import { FakeSlack } from '../../../src/sandbox/slack/index.js';
import { Readiness } from '../../../src/transports/http/readiness.js';
import { SlackTransport } from '../../../src/transports/slack/app.js';
import { captureLogs } from '../../helpers/logs.js';
import { eventually } from '../../helpers/service.js';
import { SLACK_APP_TOKEN, SLACK_BOT_TOKEN } from '../../helpers/slack.js';

const requests = { environments: () => ['staging'] } as unknown as RequestService;

function socketTransport(
  apiUrl: string,
  readiness: Readiness,
  tokens = { bot: SLACK_BOT_TOKEN, app: SLACK_APP_TOKEN },
) {
  const logs = captureLogs();
  const transport = new SlackTransport({
    slack: { mode: 'socket', botToken: tokens.bot, appToken: tokens.app, apiUrl },
    requests,
    logger: logs.logger,
    readiness,
    retries: 0,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  return { transport, logs };
}

function slackReady(readiness: Readiness): string | undefined {
  return readiness.report().checks.slack;
}

test('Socket Mode: not ready before Slack says hello, ready after, and ready again after Slack asks to reconnect', async (t) => {
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
  const { apiUrl } = await slack.start();
  t.after(() => slack.stop());
  const readiness = new Readiness(captureLogs().logger);
  const { transport } = socketTransport(apiUrl, readiness);
  assert.equal(slackReady(readiness), 'starting');
  await transport.start();
  t.after(() => transport.stop());
  assert.equal(slackReady(readiness), 'ok');
  assert.equal(slack.socketConnectionsOpened, 1);

  slack.disconnect('refresh_requested');
  await eventually(
    () => slack.socketConnectionsOpened === 2 && slackReady(readiness) === 'ok',
    'the reconnection',
  );
  assert.equal(slack.openSockets, 1);

  // A network failure: the socket is cut without a goodbye; the transport reconnects on its own.
  slack.dropSockets();
  await eventually(
    () => slack.socketConnectionsOpened === 3 && slackReady(readiness) === 'ok',
    'the reconnection after a cut',
  );
});

test('Socket Mode: a bot token Slack refuses is a clear, fatal TB_ERR_SLACK_AUTH, never an unhandled rejection', async (t) => {
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
  const { apiUrl } = await slack.start();
  t.after(() => slack.stop());
  const readiness = new Readiness(captureLogs().logger);
  const { transport } = socketTransport(apiUrl, readiness, { bot: 'xoxb-revoked', app: SLACK_APP_TOKEN });
  t.after(() => transport.stop());
  await assert.rejects(transport.start(), (error: unknown) => {
    assert.ok(isTunnelbotError(error));
    assert.equal(error.code, 'TB_ERR_SLACK_AUTH');
    assert.match(error.message, /invalid_auth/);
    assert.ok(!error.message.includes('xoxb-revoked'), 'the token is not in the message');
    return true;
  });
  assert.notEqual(slackReady(readiness), 'ok');

  const wrongApp = socketTransport(apiUrl, new Readiness(captureLogs().logger), {
    bot: SLACK_BOT_TOKEN,
    app: 'xapp-1-wrong',
  });
  t.after(() => wrongApp.transport.stop());
  await assert.rejects(
    wrongApp.transport.start(),
    (error: unknown) => isTunnelbotError(error) && error.code === 'TB_ERR_SLACK_AUTH',
  );
});

test('Socket Mode: an unreachable Slack is retried with backoff until it answers', async (t) => {
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
  const { apiUrl } = await slack.start();
  t.after(() => slack.stop());
  // In front of the fake: connections are cut until `reachable`, then calls go through.
  let reachable = false;
  const front = createServer((req, res) => {
    if (!reachable) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void fetch(new URL(req.url!.replace(/^\/api\//, ''), apiUrl), {
        method: req.method!,
        headers: {
          'content-type': req.headers['content-type'] ?? '',
          authorization: req.headers.authorization ?? '',
        },
        body: Buffer.concat(chunks),
      }).then(async (answer) => {
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(await answer.text());
      });
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => front.close(() => resolve())));
  const { port } = front.address() as AddressInfo;
  const readiness = new Readiness(captureLogs().logger);
  const { transport, logs } = socketTransport(`http://127.0.0.1:${port}/api/`, readiness);
  const started = transport.start();
  t.after(() => transport.stop());
  await eventually(
    () => (logs.text.match(/could not connect to Slack; retrying/g) ?? []).length >= 2,
    'two retries',
  );
  assert.match(slackReady(readiness) ?? '', /Could not connect to Slack/);
  reachable = true;
  await started;
  assert.equal(slackReady(readiness), 'ok');
});
