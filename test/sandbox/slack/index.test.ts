import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { LogLevel, SocketModeClient } from '@slack/socket-mode';
import {
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebClient,
  type WebClientOptions,
} from '@slack/web-api';
import WebSocket from 'ws';
import { FakeSlack } from '../../../src/sandbox/slack/index.js';

const BOT_TOKEN = 'xoxb-1111-2222-fakebottoken';
const APP_TOKEN = 'xapp-1-A0FAKE0001-3333-fakeapptoken';

const ALICE = {
  id: 'U0ALICE001',
  name: 'alice',
  real_name: 'Alice',
  profile: { email: 'alice@example.org' },
};

function platformError(error: string) {
  return (thrown: unknown) => thrown instanceof WebAPIPlatformError && thrown.data.error === error;
}

describe('FakeSlack Web API through the real WebClient', () => {
  let fake: FakeSlack;
  let apiUrl: string;
  let client: WebClient;
  const clientOptions = (): WebClientOptions => ({
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });

  beforeEach(async () => {
    fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, users: [ALICE] });
    ({ apiUrl } = await fake.start());
    client = new WebClient(BOT_TOKEN, clientOptions());
  });
  afterEach(async () => {
    await fake.stop();
  });

  test('apiUrl ends with /api/ so it can be passed as slackApiUrl', () => {
    assert.match(apiUrl, /^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  test('auth.test answers with the bot identity', async () => {
    const result = await client.auth.test();
    assert.equal(result.ok, true);
    assert.equal(result.user_id, 'U0FAKEBOT1');
    assert.equal(result.bot_id, 'B0FAKE0001');
    assert.equal(result.team_id, 'T0FAKE0001');
  });

  test('chat.postMessage stores the message and returns increasing unique ts values', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*grafana* requested' } }];
    const parent = await client.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'grafana requested',
      blocks,
      metadata: { event_type: 'tunnelbot_request', event_payload: { request_id: 'r-1' } },
    });
    const reply = await client.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'PR opened',
      thread_ts: parent.ts as string,
    });

    assert.equal(parent.ok, true);
    assert.equal(parent.channel, 'C0OPS00001');
    assert.match(parent.ts ?? '', /^\d{10}\.\d{6}$/);
    assert.ok(Number(reply.ts) > Number(parent.ts));
    assert.deepEqual(parent.message?.blocks, blocks);
    assert.deepEqual(parent.message?.metadata, {
      event_type: 'tunnelbot_request',
      event_payload: { request_id: 'r-1' },
    });
    assert.equal(reply.message?.thread_ts, parent.ts);
    assert.equal(reply.message?.parent_user_id, 'U0FAKEBOT1');

    assert.deepEqual(
      fake.messages.map((m) => [m.text, m.threadTs]),
      [
        ['grafana requested', undefined],
        ['PR opened', parent.ts],
      ],
    );
    const [firstCall] = fake.callsOf('chat.postMessage');
    assert.deepEqual(firstCall?.args.blocks, blocks, 'blocks arrive as a JSON string and are decoded');
    assert.equal(firstCall?.outcome, 'ok');
  });

  test('250 posts get distinct, strictly increasing ts values', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 250; i += 1) {
      const result = await client.chat.postMessage({ channel: 'C1', text: `n${i}` });
      seen.push(Number(result.ts));
    }
    for (let i = 1; i < seen.length; i += 1) assert.ok((seen[i] as number) > (seen[i - 1] as number));
  });

  test('recorded calls never contain the token', async () => {
    await client.chat.postMessage({ channel: 'C1', text: 'hi' });
    await new WebClient('xoxb-wrong', clientOptions()).auth.test().catch(() => undefined);
    const recorded = JSON.stringify(fake.calls);
    assert.ok(!recorded.includes(BOT_TOKEN));
    assert.ok(!recorded.includes('xoxb-wrong'));
    assert.equal(fake.calls.length, 2);
  });

  test('chat.postMessage without text or blocks is no_text; invalid metadata is dropped with a warning', async () => {
    await assert.rejects(client.chat.postMessage({ channel: 'C1', text: '' }), platformError('no_text'));
    const result = await client.chat.postMessage({
      channel: 'C1',
      text: 'hi',
      metadata: { event_type: 'bad type!', event_payload: {} },
    });
    assert.equal(result.ok, true);
    assert.equal(result.warning, 'invalid_metadata_schema');
    assert.equal(result.message?.metadata, undefined);
    assert.equal(fake.messages[0]?.metadata, undefined);
  });

  test('chat.update edits an existing message and rejects an unknown one with message_not_found', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'pending' });
    const updated = await client.chat.update({
      channel: 'C1',
      ts: posted.ts as string,
      text: 'approved',
      blocks: [{ type: 'section', text: { type: 'plain_text', text: 'approved' } }],
    });
    assert.equal(updated.ok, true);
    assert.equal(updated.ts, posted.ts);
    assert.equal(updated.text, 'approved');
    assert.equal(fake.messages[0]?.text, 'approved');
    assert.equal(fake.messages[0]?.edits, 1);

    await assert.rejects(
      client.chat.update({ channel: 'C1', ts: '1700000000.999900', text: 'x' }),
      platformError('message_not_found'),
    );
    await assert.rejects(
      client.chat.update({ channel: 'C2', ts: posted.ts as string, text: 'x' }),
      platformError('message_not_found'),
    );
    assert.equal(fake.messages[0]?.text, 'approved');
  });

  test('chat.postEphemeral returns message_ts and records the ephemeral message', async () => {
    const result = await client.chat.postEphemeral({ channel: 'C1', user: ALICE.id, text: 'only you' });
    assert.equal(result.ok, true);
    assert.match(result.message_ts ?? '', /^\d{10}\.\d{6}$/);
    assert.deepEqual(fake.ephemerals, [
      {
        channel: 'C1',
        user: ALICE.id,
        messageTs: result.message_ts,
        text: 'only you',
        blocks: undefined,
        threadTs: undefined,
      },
    ]);
    assert.equal(fake.messages.length, 0);
  });

  test('users.info returns seeded users and user_not_found for others', async () => {
    const found = await client.users.info({ user: ALICE.id });
    assert.equal(found.user?.profile?.email, 'alice@example.org');
    fake.addUser({ id: 'U0BOB00001', name: 'bob' });
    assert.equal((await client.users.info({ user: 'U0BOB00001' })).user?.name, 'bob');
    await assert.rejects(client.users.info({ user: 'U0NOBODY01' }), platformError('user_not_found'));
  });

  test('a wrong bot token is invalid_auth; the app token is the wrong type for chat methods', async () => {
    await assert.rejects(
      new WebClient('xoxb-not-the-token', clientOptions()).chat.postMessage({ channel: 'C1', text: 'x' }),
      platformError('invalid_auth'),
    );
    await assert.rejects(
      new WebClient(APP_TOKEN, clientOptions()).chat.postMessage({ channel: 'C1', text: 'x' }),
      platformError('not_allowed_token_type'),
    );
    await assert.rejects(client.apps.connections.open({}), platformError('not_allowed_token_type'));
    assert.equal(fake.messages.length, 0);
  });

  test('failNext fails the given number of calls without effect, then the method works again', async () => {
    fake.failNext('chat.postMessage', 'channel_not_found', 2);
    await assert.rejects(
      client.chat.postMessage({ channel: 'C1', text: 'a' }),
      platformError('channel_not_found'),
    );
    await assert.rejects(
      client.chat.postMessage({ channel: 'C1', text: 'b' }),
      platformError('channel_not_found'),
    );
    await client.users.info({ user: ALICE.id });
    const ok = await client.chat.postMessage({ channel: 'C1', text: 'c' });
    assert.equal(ok.ok, true);
    assert.deepEqual(
      fake.messages.map((m) => m.text),
      ['c'],
    );
    assert.deepEqual(
      fake.callsOf('chat.postMessage').map((c) => c.outcome),
      ['channel_not_found', 'channel_not_found', 'ok'],
    );
  });

  test('rateLimit answers 429 with Retry-After: WebAPIRateLimitedError when calls are rejected', async () => {
    fake.rateLimit('chat.update', 7);
    const rejecting = new WebClient(BOT_TOKEN, { ...clientOptions(), rejectRateLimitedCalls: true });
    await assert.rejects(
      rejecting.chat.update({ channel: 'C1', ts: '1700000000.000100', text: 'x' }),
      (error: unknown) => error instanceof WebAPIRateLimitedError && error.retryAfter === 7,
    );
    assert.deepEqual(
      fake.callsOf('chat.update').map((c) => c.outcome),
      ['ratelimited'],
    );
  });

  test('a rate-limited call is retried after Retry-After when the client allows retries', async () => {
    fake.rateLimit('chat.postMessage', 0);
    const retrying = new WebClient(BOT_TOKEN, {
      ...clientOptions(),
      retryConfig: { retries: 1, minTimeout: 1, maxTimeout: 1 },
    });
    const result = await retrying.chat.postMessage({ channel: 'C1', text: 'after the pause' });
    assert.equal(result.ok, true);
    assert.deepEqual(
      fake.callsOf('chat.postMessage').map((c) => c.outcome),
      ['ratelimited', 'ok'],
    );
    assert.equal(fake.messages.length, 1);
  });

  test('JSON bodies are accepted as well as forms', async () => {
    const response = await fetch(`${apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C1', blocks: [{ type: 'divider' }] }),
    });
    const body = (await response.json()) as { ok: boolean; ts: string };
    assert.equal(body.ok, true);
    assert.deepEqual(fake.messages[0]?.blocks, [{ type: 'divider' }]);
  });

  test('an unknown method is a 404 unknown_method', async () => {
    const response = await fetch(`${apiUrl}conversations.kick`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}` },
    });
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { ok: false, error: 'unknown_method' });
  });

  test('response_url posts are recorded; a sixth use of one URL is refused', async () => {
    const url = fake.responseUrl('cmd-1');
    for (let i = 1; i <= 5; i += 1) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `update ${i}`, replace_original: true }),
      });
      assert.equal(response.status, 200);
    }
    const sixth = await fetch(url, { method: 'POST', body: JSON.stringify({ text: 'too many' }) });
    assert.equal(sixth.status, 404);
    assert.equal(fake.responseUrlPosts.length, 5);
    assert.deepEqual(fake.responseUrlPosts[0], {
      id: 'cmd-1',
      body: { text: 'update 1', replace_original: true },
    });
  });
});

describe('FakeSlack Socket Mode through the real SocketModeClient', () => {
  let fake: FakeSlack;
  let apiUrl: string;
  let client: SocketModeClient;

  before(async () => {
    fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, users: [ALICE], ackTimeoutMs: 500 });
    ({ apiUrl } = await fake.start());
    client = new SocketModeClient({
      appToken: APP_TOKEN,
      clientPingTimeout: 100,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
    });
    client.on(
      'slash_commands',
      async ({ ack, body }: { ack: (r?: object) => Promise<void>; body: { text: string } }) => {
        await ack({ response_type: 'ephemeral', text: `working on ${body.text}` });
      },
    );
    client.on('interactive', async ({ ack }: { ack: (r?: object) => Promise<void> }) => {
      await ack();
    });
    client.on('app_mention', async ({ ack }: { ack: (r?: object) => Promise<void> }) => {
      await ack();
    });
    await client.start();
  });
  after(async () => {
    await client.disconnect();
    await fake.stop();
  });

  test('the client connects through apps.connections.open with the app token and gets hello', () => {
    assert.equal(fake.callsOf('apps.connections.open').length, 1);
    assert.equal(fake.callsOf('apps.connections.open')[0]?.outcome, 'ok');
    assert.equal(fake.openSockets, 1);
  });

  test('a slash command envelope resolves with the ack payload', async () => {
    const ack = await fake.sendSlashCommand({ command: '/expose', text: 'grafana', user_id: ALICE.id });
    assert.deepEqual(ack, { response_type: 'ephemeral', text: 'working on grafana' });
  });

  test('a block action carries the message it was clicked on', async () => {
    const web = new WebClient(BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 } });
    const posted = await web.chat.postMessage({ channel: 'C0OPS00001', text: 'approve?' });
    let seen: Record<string, unknown> | undefined;
    client.once('interactive', ({ body }: { body: Record<string, unknown> }) => {
      seen = body;
    });
    const ack = await fake.sendBlockAction({
      message_ts: posted.ts as string,
      user_id: ALICE.id,
      actions: [{ action_id: 'approve', value: 'req-1' }],
    });
    assert.deepEqual(ack, {});
    assert.equal(seen?.type, 'block_actions');
    assert.deepEqual((seen?.message as { ts: string; text: string }).text, 'approve?');
    assert.deepEqual(seen?.user, { id: ALICE.id, username: 'alice', team_id: 'T0FAKE0001' });
    const [action] = seen?.actions as { action_id: string; value: string; type: string }[];
    assert.equal(action?.action_id, 'approve');
    assert.equal(action?.value, 'req-1');
    assert.equal(action?.type, 'button');
    assert.deepEqual(seen?.container, {
      type: 'message',
      message_ts: posted.ts,
      channel_id: 'C0OPS00001',
      is_ephemeral: false,
    });
  });

  test('a block action on an ephemeral message has no message and says so in its container', async () => {
    const web = new WebClient(BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 } });
    const posted = await web.chat.postEphemeral({ channel: 'C0OPS00002', user: ALICE.id, text: 'confirm?' });
    let seen: Record<string, unknown> | undefined;
    client.once('interactive', ({ body }: { body: Record<string, unknown> }) => {
      seen = body;
    });
    await fake.sendBlockAction({
      message_ts: posted.message_ts as string,
      user_id: ALICE.id,
      actions: [{ action_id: 'confirm' }],
    });
    assert.equal(seen?.message, undefined);
    assert.deepEqual(seen?.container, {
      type: 'message',
      message_ts: posted.message_ts,
      channel_id: 'C0OPS00002',
      is_ephemeral: true,
    });
    await assert.rejects(
      web.chat.update({ channel: 'C0OPS00002', ts: posted.message_ts as string, text: 'done' }),
      platformError('message_not_found'),
    );
  });

  test('a block action on a message the fake never posted is a test mistake and rejects', async () => {
    await assert.rejects(
      fake.sendBlockAction({ message_ts: '1600000000.000100', actions: [{ action_id: 'approve' }] }),
      /never posted a message with ts 1600000000\.000100/,
    );
  });

  test('a duplicated event arrives twice with one envelope id and event id, and both acks come back', async () => {
    const received: { envelope_id: string; event_id: unknown; retry_num: unknown }[] = [];
    const listener = ({
      envelope_id,
      body,
      retry_num,
    }: {
      envelope_id: string;
      body: { event_id: string };
      retry_num: number;
    }) => {
      received.push({ envelope_id, event_id: body.event_id, retry_num });
    };
    client.on('app_mention', listener);
    const acks = await fake.sendEventTwice({ event: { type: 'app_mention', user: ALICE.id, text: 'hi' } });
    client.off('app_mention', listener);
    assert.deepEqual(acks, [{}, {}]);
    assert.equal(received.length, 2);
    assert.equal(received[0]?.envelope_id, received[1]?.envelope_id);
    assert.equal(received[0]?.event_id, received[1]?.event_id);
    assert.deepEqual(
      received.map((r) => r.retry_num),
      [0, 1],
    );
  });

  test('a duplicated slash command arrives twice under one envelope id', async () => {
    const seen: string[] = [];
    const listener = ({ envelope_id }: { envelope_id: string }) => {
      seen.push(envelope_id);
    };
    client.on('slash_commands', listener);
    const acks = await fake.sendSlashCommandTwice({ text: 'grafana' });
    client.off('slash_commands', listener);
    assert.deepEqual(acks, [
      { response_type: 'ephemeral', text: 'working on grafana' },
      { response_type: 'ephemeral', text: 'working on grafana' },
    ]);
    assert.equal(seen.length, 2);
    assert.equal(seen[0], seen[1]);
  });

  test('an envelope nobody acks rejects after the ack timeout', async () => {
    await assert.rejects(
      fake.sendEvent({ event: { type: 'reaction_added', user: ALICE.id } }),
      /no ack for events_api envelope .* within 500 ms/,
    );
  });

  test('a used connection URL cannot be reused', async () => {
    const reused = await new WebClient(APP_TOKEN, {
      slackApiUrl: apiUrl,
      retryConfig: { retries: 0 },
    }).apps.connections.open({});
    const first = new WebSocket(reused.url as string);
    await new Promise((resolve, reject) => {
      first.once('open', resolve);
      first.once('error', reject);
    });
    const closed = new Promise((resolve) => first.once('close', resolve));
    first.close();
    await closed;
    const second = new WebSocket(reused.url as string);
    const refusal = await new Promise<string>((resolve) => {
      second.once('error', (error) => resolve(error.message));
      second.once('open', () => {
        resolve('opened');
        second.close();
      });
    });
    assert.equal(refusal, 'Unexpected server response: 401');
  });

  test('disconnect(refresh_requested) makes the client open a new connection and keep working', async () => {
    const opened = fake.callsOf('apps.connections.open').length;
    const connections = fake.socketConnectionsOpened;
    const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    fake.disconnect('refresh_requested');
    await reconnected;
    assert.equal(fake.callsOf('apps.connections.open').length, opened + 1);
    assert.equal(fake.socketConnectionsOpened, connections + 1);
    assert.equal(fake.openSockets, 1);
    const ack = await fake.sendSlashCommand({ text: 'after refresh' });
    assert.deepEqual(ack, { response_type: 'ephemeral', text: 'working on after refresh' });
  });
});

describe('FakeSlack Socket Mode when the connection drops', () => {
  test('dropSockets cuts the connection and the client reconnects with a new ticket', async () => {
    const fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    const { apiUrl } = await fake.start();
    const client = new SocketModeClient({
      appToken: APP_TOKEN,
      clientPingTimeout: 100,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
    });
    client.on('slash_commands', async ({ ack }: { ack: (r?: object) => Promise<void> }) => {
      await ack({ text: 'still here' });
    });
    try {
      await client.start();
      const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
      fake.dropSockets();
      await reconnected;
      assert.equal(fake.socketConnectionsOpened, 2);
      assert.equal(fake.callsOf('apps.connections.open').length, 2);
      assert.deepEqual(await fake.sendSlashCommand({ text: 'x' }), { text: 'still here' });
    } finally {
      await client.disconnect();
      await fake.stop();
    }
  });
});

describe('FakeSlack without a Socket Mode client', () => {
  test('sending an envelope with no connection rejects, and stop() closes everything', async () => {
    const fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    await fake.start();
    await assert.rejects(fake.sendSlashCommand({ text: 'x' }), /no Socket Mode connection/);
    await fake.stop();
  });
});
