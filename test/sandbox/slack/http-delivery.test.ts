import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { verifySlackRequest } from '@slack/bolt';
import { LogLevel, WebClient } from '@slack/web-api';
import { FakeSlack, FakeSlackDeliveryError } from '../../../src/sandbox/slack/index.js';

const BOT_TOKEN = 'xoxb-1111-2222-fakebottoken';
const APP_TOKEN = 'xapp-1-A0FAKE0001-3333-fakeapptoken';
const SIGNING_SECRET = 'fake-signing-secret-for-tests';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = (request: Received, res: ServerResponse) => void;

/** A stand-in for the app's Request URL: it verifies every request as Bolt does and answers as told. */
async function startApp(signingSecret: string): Promise<{
  url: string;
  received: Received[];
  answer: (handler: Answer) => void;
  server: Server;
}> {
  const received: Received[] = [];
  let handler: Answer = (_request, res) => res.writeHead(200).end();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      try {
        verifySlackRequest({
          signingSecret,
          body: request.body,
          headers: {
            'x-slack-signature': String(req.headers['x-slack-signature']),
            'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
          },
        });
      } catch {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature');
        return;
      }
      received.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/slack/events`, received, answer: (h) => (handler = h), server };
}

const json = (res: ServerResponse, body: unknown) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('FakeSlack HTTP-mode delivery, verified with Bolt', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let fake: FakeSlack;
  let web: WebClient;

  before(async () => {
    app = await startApp(SIGNING_SECRET);
    fake = new FakeSlack({
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      users: [{ id: 'U0ALICE001', name: 'alice' }],
      ackTimeoutMs: 300,
      delivery: { mode: 'http', url: app.url, signingSecret: SIGNING_SECRET },
    });
    const { apiUrl } = await fake.start();
    web = new WebClient(BOT_TOKEN, {
      slackApiUrl: apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
  });
  beforeEach(() => {
    app.received.length = 0;
    app.answer((_request, res) => res.writeHead(200).end());
  });
  after(async () => {
    await fake.stop();
    app.server.closeAllConnections();
    await new Promise((resolve) => app.server.close(resolve));
  });

  test('a slash command is a signed form post of its fields; a JSON answer resolves parsed', async () => {
    app.answer((_request, res) => json(res, { response_type: 'ephemeral', text: 'working on it' }));
    const ack = await fake.sendSlashCommand({ command: '/expose', text: 'grafana', user_id: 'U0ALICE001' });
    assert.deepEqual(ack, { response_type: 'ephemeral', text: 'working on it' });
    const [request] = app.received;
    assert.equal(request?.headers['content-type'], 'application/x-www-form-urlencoded');
    const fields = new URLSearchParams(request?.body);
    assert.equal(fields.get('command'), '/expose');
    assert.equal(fields.get('text'), 'grafana');
    assert.equal(fields.get('user_id'), 'U0ALICE001');
    assert.equal(fields.get('user_name'), 'alice');
    assert.match(fields.get('trigger_id') ?? '', /^\d+\.[0-9a-f]+$/);
  });

  test('a button click is a form with payload=<JSON>; an empty answer resolves undefined', async () => {
    const posted = await web.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'approve?',
      blocks: [
        {
          type: 'actions',
          block_id: 'decide',
          elements: [
            {
              type: 'button',
              action_id: 'approve',
              value: 'r-1',
              text: { type: 'plain_text', text: 'Approve' },
            },
          ],
        },
      ],
    });
    const ack = await fake.clickButton({
      messageTs: posted.ts as string,
      actionId: 'approve',
      userId: 'U0ALICE001',
    });
    assert.equal(ack, undefined);
    const [request] = app.received;
    assert.equal(request?.headers['content-type'], 'application/x-www-form-urlencoded');
    const payload = JSON.parse(new URLSearchParams(request?.body).get('payload') ?? '{}') as {
      type: string;
      actions: { action_id: string; value: string; block_id: string }[];
    };
    assert.equal(payload.type, 'block_actions');
    assert.deepEqual(
      payload.actions.map((a) => [a.action_id, a.value, a.block_id]),
      [['approve', 'r-1', 'decide']],
    );
  });

  test('a modal submission arrives as payload=<JSON> and its errors answer comes back', async () => {
    app.answer((_request, res) => res.writeHead(200).end());
    await fake.sendSlashCommand({ user_id: 'U0ALICE001' });
    const trigger = new URLSearchParams(app.received[0]?.body).get('trigger_id') as string;
    const opened = await web.views.open({
      trigger_id: trigger,
      view: {
        type: 'modal',
        callback_id: 'expose_form',
        title: { type: 'plain_text', text: 'Expose' },
        submit: { type: 'plain_text', text: 'Expose' },
        blocks: [
          {
            type: 'input',
            block_id: 'app',
            label: { type: 'plain_text', text: 'App' },
            element: { type: 'plain_text_input', action_id: 'name' },
          },
        ],
      },
    });
    app.answer((_request, res) => json(res, { response_action: 'errors', errors: { app: 'taken' } }));
    const ack = await fake.submitView({
      viewId: opened.view?.id as string,
      values: { app: { name: { type: 'plain_text_input', value: 'grafana' } } },
    });
    assert.deepEqual(ack, { response_action: 'errors', errors: { app: 'taken' } });
    const payload = JSON.parse(new URLSearchParams(app.received[1]?.body).get('payload') ?? '{}') as {
      type: string;
      view: { callback_id: string; state: unknown };
    };
    assert.equal(payload.type, 'view_submission');
    assert.equal(payload.view.callback_id, 'expose_form');
    assert.deepEqual(payload.view.state, {
      values: { app: { name: { type: 'plain_text_input', value: 'grafana' } } },
    });
  });

  test('events are JSON; the retry of sendEventTwice carries x-slack-retry-num and -reason; text answers resolve as text', async () => {
    app.answer((_request, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    const acks = await fake.sendEventTwice({
      event: { type: 'app_mention', user: 'U0ALICE001', text: 'hi' },
    });
    assert.deepEqual(acks, ['ok', 'ok']);
    assert.equal(app.received.length, 2);
    const [first, retry] = app.received;
    assert.equal(first?.headers['content-type'], 'application/json');
    assert.equal(first?.headers['x-slack-retry-num'], undefined);
    assert.equal(retry?.headers['x-slack-retry-num'], '1');
    assert.equal(retry?.headers['x-slack-retry-reason'], 'http_timeout');
    const bodies = [first, retry].map(
      (r) => JSON.parse(r?.body ?? '{}') as { type: string; event_id: string },
    );
    assert.equal(bodies[0]?.type, 'event_callback');
    assert.equal(bodies[0]?.event_id, bodies[1]?.event_id);
  });

  test('a non-2xx answer rejects with its status', async () => {
    app.answer((_request, res) => res.writeHead(404).end());
    await assert.rejects(
      fake.sendSlashCommand({ text: 'nobody acked' }),
      (error: unknown) => error instanceof FakeSlackDeliveryError && error.status === 404,
    );
  });

  test('an answer slower than the ack timeout rejects', async () => {
    app.answer((_request, res) => setTimeout(() => res.writeHead(200).end(), 1000));
    await assert.rejects(
      fake.sendSlashCommand({ text: 'slow' }),
      /did not answer a Slack delivery .* within 300 ms/,
    );
  });
});

describe('FakeSlack HTTP-mode delivery failures', () => {
  test('an app with another signing secret refuses the delivery: 401 comes back as the status', async () => {
    const app = await startApp('the-real-secret');
    const fake = new FakeSlack({
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      delivery: { mode: 'http', url: app.url, signingSecret: 'a-wrong-secret' },
    });
    await fake.start();
    try {
      await assert.rejects(
        fake.sendEvent({ event: { type: 'app_mention' } }),
        (error: unknown) =>
          error instanceof FakeSlackDeliveryError && error.status === 401 && error.body === 'bad signature',
      );
      assert.equal(app.received.length, 0);
    } finally {
      await fake.stop();
      await new Promise((resolve) => app.server.close(resolve));
    }
  });

  test('an app that is not listening is "could not deliver", not a status', async () => {
    const app = await startApp(SIGNING_SECRET);
    await new Promise((resolve) => app.server.close(resolve));
    const fake = new FakeSlack({
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      delivery: { mode: 'http', url: app.url, signingSecret: SIGNING_SECRET },
    });
    await fake.start();
    try {
      await assert.rejects(
        fake.sendSlashCommand(),
        /could not deliver to the app at http:\/\/127\.0\.0\.1:\d+/,
      );
    } finally {
      await fake.stop();
    }
  });
});

test('prepareSlashCommand builds the signed request Slack would post, without sending it', () => {
  const slack = new FakeSlack({
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    delivery: { mode: 'http', url: 'http://127.0.0.1:9/slack/events', signingSecret: SIGNING_SECRET },
  });
  const prepared = slack.prepareSlashCommand({
    command: '/expose',
    text: 'linkding 9090',
    user_id: 'U0ALICE',
  });
  assert.equal(prepared.url, 'http://127.0.0.1:9/slack/events');
  assert.equal(prepared.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.doesNotThrow(() =>
    verifySlackRequest({
      signingSecret: SIGNING_SECRET,
      body: prepared.body,
      headers: {
        'x-slack-signature': prepared.headers['x-slack-signature']!,
        'x-slack-request-timestamp': Number(prepared.headers['x-slack-request-timestamp']),
      },
    }),
  );
  const fields = new URLSearchParams(prepared.body);
  assert.equal(fields.get('command'), '/expose');
  assert.equal(fields.get('text'), 'linkding 9090');
  assert.equal(fields.get('user_id'), 'U0ALICE');
  assert.match(fields.get('trigger_id') ?? '', /\S/);
  // Socket Mode has no Request URL to prepare for.
  const socket = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
  assert.throws(() => socket.prepareSlashCommand(), /HTTP mode/);
});
