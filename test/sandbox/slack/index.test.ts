import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { LogLevel, SocketModeClient } from '@slack/socket-mode';
import {
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebClient,
  type ViewsOpenArguments,
  type WebClientOptions,
} from '@slack/web-api';
import WebSocket from 'ws';
import { FakeSlack, type FakeSubmitViewInput } from '../../../src/sandbox/slack/index.js';

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

  test('chat.delete removes the message and keeps it in deleted; an unknown one is message_not_found', async () => {
    const kept = await client.chat.postMessage({ channel: 'C1', text: 'stays' });
    const gone = await client.chat.postMessage({ channel: 'C1', text: 'goes' });
    const result = await client.chat.delete({ channel: 'C1', ts: gone.ts as string });
    assert.equal(result.ok, true);
    assert.equal(result.ts, gone.ts);
    assert.deepEqual(
      fake.messages.map((m) => m.ts),
      [kept.ts],
    );
    assert.deepEqual(
      fake.deleted.map((m) => [m.ts, m.text]),
      [[gone.ts, 'goes']],
    );
    await assert.rejects(
      client.chat.delete({ channel: 'C1', ts: gone.ts as string }),
      platformError('message_not_found'),
    );
    await assert.rejects(
      client.chat.delete({ channel: 'C2', ts: kept.ts as string }),
      platformError('message_not_found'),
    );
    await assert.rejects(
      client.chat.update({ channel: 'C1', ts: gone.ts as string, text: 'x' }),
      platformError('message_not_found'),
    );
  });

  test('usergroups.users.list answers the members of a known group and no_such_subteam otherwise', async () => {
    fake.addUserGroup('S0ADMINS01', [ALICE.id, 'U0BOB00001']);
    const result = await client.usergroups.users.list({ usergroup: 'S0ADMINS01' });
    assert.equal(result.ok, true);
    assert.deepEqual(result.users, [ALICE.id, 'U0BOB00001']);
    await assert.rejects(
      client.usergroups.users.list({ usergroup: 'S0NOBODY01' }),
      platformError('no_such_subteam'),
    );
  });

  test('a free workspace answers usergroups.users.list with plan_upgrade_required', async () => {
    const free = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, userGroupsUnavailable: true });
    const { apiUrl: freeUrl } = await free.start();
    try {
      free.addUserGroup('S0ADMINS01', [ALICE.id]);
      const freeClient = new WebClient(BOT_TOKEN, { ...clientOptions(), slackApiUrl: freeUrl });
      await assert.rejects(
        freeClient.usergroups.users.list({ usergroup: 'S0ADMINS01' }),
        platformError('plan_upgrade_required'),
      );
    } finally {
      await free.stop();
    }
  });

  test('once channels are known, posting elsewhere is channel_not_found and where the bot is not in, not_in_channel', async () => {
    fake.addChannel('C0OPS00001', { name: 'ops' });
    fake.addChannel('C0QUIET001', { member: false, name: 'quiet' });
    assert.equal((await client.chat.postMessage({ channel: 'C0OPS00001', text: 'hi' })).ok, true);
    assert.equal(
      (await client.chat.postEphemeral({ channel: 'C0OPS00001', user: ALICE.id, text: 'psst' })).ok,
      true,
    );
    await assert.rejects(
      client.chat.postMessage({ channel: 'C0ELSEWHERE', text: 'x' }),
      platformError('channel_not_found'),
    );
    await assert.rejects(
      client.chat.postMessage({ channel: 'C0QUIET001', text: 'x' }),
      platformError('not_in_channel'),
    );
    await assert.rejects(
      client.chat.postEphemeral({ channel: 'C0QUIET001', user: ALICE.id, text: 'x' }),
      platformError('not_in_channel'),
    );
    await assert.rejects(
      client.chat.postEphemeral({ channel: 'C0ELSEWHERE', user: ALICE.id, text: 'x' }),
      platformError('channel_not_found'),
    );
    assert.equal(fake.messages.length, 1);
    assert.equal(fake.ephemerals.length, 1);
  });

  test('blocks Slack refuses are invalid_blocks on postMessage, update and postEphemeral, with its messages', async () => {
    const tooLong = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }];
    const refusal = (thrown: unknown) =>
      thrown instanceof WebAPIPlatformError &&
      thrown.data.error === 'invalid_blocks' &&
      JSON.stringify(thrown.data.response_metadata?.messages) ===
        JSON.stringify(['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]']);
    await assert.rejects(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: tooLong }), refusal);
    await assert.rejects(
      client.chat.postEphemeral({ channel: 'C1', user: ALICE.id, text: 'x', blocks: tooLong }),
      refusal,
    );
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'fine' });
    await assert.rejects(
      client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'x', blocks: tooLong }),
      refusal,
    );
    assert.equal(fake.messages[0]?.text, 'fine');
    assert.equal(fake.messages[0]?.edits, 0);
    assert.equal(fake.ephemerals.length, 0);
  });

  test('a text fallback over 40,000 characters is msg_too_long', async () => {
    await assert.rejects(
      client.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_001) }),
      platformError('msg_too_long'),
    );
    assert.equal((await client.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_000) })).ok, true);
  });

  test('a response_url post with blocks Slack refuses is an HTTP 400 invalid_blocks and is not recorded', async () => {
    const response = await fetch(fake.responseUrl('cmd-1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x', blocks: [{ type: 'sectoin' }] }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: string; response_metadata: { messages: string[] } };
    assert.equal(body.error, 'invalid_blocks');
    assert.deepEqual(body.response_metadata.messages, [
      '[ERROR] unsupported type: sectoin [json-pointer:/blocks/0/type]',
    ]);
    assert.deepEqual(fake.responseUrlPosts, []);
  });

  test('threadOf lists the replies under a message in order; render reads a message as a person would', async () => {
    const parent = await client.chat.postMessage({ channel: 'C1', text: 'expose grafana?' });
    const thread = parent.ts as string;
    await client.chat.postMessage({ channel: 'C1', text: 'PR opened', thread_ts: thread });
    await client.chat.postMessage({ channel: 'C1', text: 'unrelated' });
    await client.chat.postMessage({
      channel: 'C1',
      thread_ts: thread,
      text: 'approved',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by <@U0ALICE001> &amp; merged' } }],
    });
    const replies = fake.threadOf(thread);
    assert.deepEqual(
      replies.map((m) => m.text),
      ['PR opened', 'approved'],
    );
    assert.deepEqual(
      replies.map((m) => fake.render(m)),
      ['PR opened', 'Approved by @alice & merged'],
    );
    assert.deepEqual(fake.threadOf('1600000000.000100'), []);
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

type Ack = (response?: object) => Promise<void>;
type InteractiveHandler = (body: Record<string, unknown>, ack: Ack) => Promise<void>;

describe('FakeSlack modals and buttons through the real WebClient and SocketModeClient', () => {
  let fake: FakeSlack;
  let web: WebClient;
  let socket: SocketModeClient;
  let clock = 1_800_000_000_000;
  let onInteractive: InteractiveHandler;
  const triggers: string[] = [];

  const modal: ViewsOpenArguments['view'] = {
    type: 'modal',
    callback_id: 'expose_form',
    private_metadata: JSON.stringify({ channel: 'C0OPS00001' }),
    title: { type: 'plain_text', text: 'Expose a service' },
    submit: { type: 'plain_text', text: 'Expose' },
    blocks: [
      {
        type: 'input',
        block_id: 'app',
        label: { type: 'plain_text', text: 'App' },
        element: { type: 'plain_text_input', action_id: 'name' },
      },
      {
        type: 'input',
        label: { type: 'plain_text', text: 'Environment' },
        element: {
          type: 'static_select',
          action_id: 'env',
          options: [{ text: { type: 'plain_text', text: 'Production' }, value: 'prod' }],
        },
      },
    ],
  };

  async function commandTrigger(): Promise<string> {
    const before = triggers.length;
    await fake.sendSlashCommand({ command: '/expose', user_id: ALICE.id });
    assert.equal(triggers.length, before + 1);
    return triggers.at(-1) as string;
  }

  async function openModal(): Promise<string> {
    const opened = await web.views.open({ trigger_id: await commandTrigger(), view: modal });
    return opened.view?.id as string;
  }

  before(async () => {
    fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, users: [ALICE], now: () => clock });
    const { apiUrl } = await fake.start();
    web = new WebClient(BOT_TOKEN, {
      slackApiUrl: apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    socket = new SocketModeClient({
      appToken: APP_TOKEN,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
    });
    socket.on('slash_commands', async ({ ack, body }: { ack: Ack; body: { trigger_id: string } }) => {
      triggers.push(body.trigger_id);
      await ack();
    });
    socket.on('interactive', ({ ack, body }: { ack: Ack; body: Record<string, unknown> }) =>
      onInteractive(body, ack),
    );
    await socket.start();
  });
  beforeEach(() => {
    onInteractive = async (_body, ack) => ack();
  });
  after(async () => {
    await socket.disconnect();
    await fake.stop();
  });

  test('views.open with a fresh trigger id opens the modal, filling in the ids Slack would', async () => {
    const trigger = await commandTrigger();
    const opened = await web.views.open({ trigger_id: trigger, view: modal });
    assert.equal(opened.ok, true);
    assert.match(opened.view?.id ?? '', /^V[0-9A-Z]+$/);
    assert.equal(opened.view?.callback_id, 'expose_form');
    assert.equal(opened.view?.type, 'modal');
    const view = fake.views.at(-1);
    assert.equal(view?.id, opened.view?.id);
    assert.equal(view?.callbackId, 'expose_form');
    assert.equal(view?.privateMetadata, JSON.stringify({ channel: 'C0OPS00001' }));
    assert.equal(view?.userId, ALICE.id);
    assert.equal(view?.title, 'Expose a service');
    const blockIds = (view?.blocks as { block_id: string }[]).map((b) => b.block_id);
    assert.equal(blockIds[0], 'app');
    assert.match(blockIds[1] ?? '', /^.+$/);
    assert.deepEqual(opened.view?.blocks, view?.blocks);
  });

  test('a trigger id works once, only within 3 s, and only if Slack issued it', async () => {
    const trigger = await commandTrigger();
    await web.views.open({ trigger_id: trigger, view: modal });
    await assert.rejects(
      web.views.open({ trigger_id: trigger, view: modal }),
      platformError('exchanged_trigger_id'),
    );
    await assert.rejects(
      web.views.open({ trigger_id: '12345.98765.abcd2358fdea', view: modal }),
      platformError('invalid_trigger_id'),
    );
    const late = await commandTrigger();
    clock += 2999;
    const justInTime = await commandTrigger();
    clock += 1;
    await assert.rejects(
      web.views.open({ trigger_id: late, view: modal }),
      platformError('expired_trigger_id'),
    );
    assert.equal((await web.views.open({ trigger_id: justInTime, view: modal })).ok, true);
  });

  test('a view Slack refuses is invalid_arguments naming each problem; the trigger stays usable', async () => {
    const trigger = await commandTrigger();
    const bad: ViewsOpenArguments['view'] = {
      ...modal,
      title: { type: 'plain_text', text: 'A title far beyond the limit' },
    };
    await assert.rejects(
      web.views.open({ trigger_id: trigger, view: bad }),
      (thrown: unknown) =>
        thrown instanceof WebAPIPlatformError &&
        thrown.data.error === 'invalid_arguments' &&
        JSON.stringify(thrown.data.response_metadata?.messages) ===
          JSON.stringify(['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']),
    );
    assert.equal((await web.views.open({ trigger_id: trigger, view: modal })).ok, true);
  });

  test('a button click carries a trigger id that opens a modal', async () => {
    const posted = await web.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'expose?',
      blocks: [
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'open_form', text: { type: 'plain_text', text: 'Fill in' } },
          ],
        },
      ],
    });
    let trigger = '';
    onInteractive = async (body, ack) => {
      trigger = body.trigger_id as string;
      await ack();
    };
    await fake.clickButton({ messageTs: posted.ts as string, actionId: 'open_form', userId: ALICE.id });
    const opened = await web.views.open({ trigger_id: trigger, view: modal });
    assert.equal(fake.views.at(-1)?.id, opened.view?.id);
    assert.equal(fake.views.at(-1)?.userId, ALICE.id);
  });

  test('submitView delivers a view_submission as Slack does and resolves with the ack', async () => {
    const viewId = await openModal();
    const envBlock = (fake.views.at(-1)?.blocks[1] as { block_id: string }).block_id;
    let seen: Record<string, unknown> = {};
    onInteractive = async (body, ack) => {
      seen = body;
      await ack();
    };
    const values: FakeSubmitViewInput['values'] = {
      app: { name: { type: 'plain_text_input', value: 'grafana' } },
      [envBlock]: { env: { type: 'static_select', selected_option: { value: 'prod' } } },
    };
    const ack = await fake.submitView({ viewId, values });
    assert.deepEqual(ack, {});
    assert.equal(seen.type, 'view_submission');
    assert.deepEqual(seen.user, { id: ALICE.id, username: 'alice', name: 'alice', team_id: 'T0FAKE0001' });
    assert.deepEqual(seen.team, { id: 'T0FAKE0001', domain: 'fake-workspace' });
    assert.equal(seen.api_app_id, 'A0FAKE0001');
    assert.deepEqual(seen.response_urls, []);
    assert.equal(typeof seen.trigger_id, 'string');
    const view = seen.view as Record<string, unknown>;
    assert.equal(view.id, viewId);
    assert.equal(view.type, 'modal');
    assert.equal(view.callback_id, 'expose_form');
    assert.equal(view.private_metadata, JSON.stringify({ channel: 'C0OPS00001' }));
    assert.equal(view.team_id, 'T0FAKE0001');
    assert.match(String(view.hash), /^\d+\.[0-9a-f]+$/);
    assert.deepEqual(view.title, { type: 'plain_text', text: 'Expose a service', emoji: true });
    assert.deepEqual(view.blocks, fake.views.at(-1)?.blocks);
    assert.deepEqual(view.state, {
      values: {
        app: { name: { type: 'plain_text_input', value: 'grafana' } },
        [envBlock]: {
          env: {
            type: 'static_select',
            selected_option: { text: { type: 'plain_text', text: 'Production', emoji: true }, value: 'prod' },
          },
        },
      },
    });
    await assert.rejects(
      fake.submitView({ viewId, values: { app: { name: { type: 'plain_text_input', value: 'again' } } } }),
      /view V\w+ is closed and cannot be submitted/,
    );
  });

  test('an errors answer keeps the modal open; an update answer replaces it', async () => {
    const viewId = await openModal();
    const envBlock = (fake.views.at(-1)?.blocks[1] as { block_id: string }).block_id;
    const values: FakeSubmitViewInput['values'] = {
      app: { name: { type: 'plain_text_input', value: 'Not A Name' } },
      [envBlock]: { env: { type: 'static_select', selected_option: { value: 'prod' } } },
    };
    onInteractive = async (_body, ack) =>
      ack({ response_action: 'errors', errors: { app: 'lower-case letters, digits and dashes only' } });
    assert.deepEqual(await fake.submitView({ viewId, values }), {
      response_action: 'errors',
      errors: { app: 'lower-case letters, digits and dashes only' },
    });
    onInteractive = async (_body, ack) =>
      ack({
        response_action: 'update',
        view: {
          type: 'modal',
          callback_id: 'expose_done',
          title: { type: 'plain_text', text: 'Requested' },
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'PR opened' } }],
        },
      });
    await fake.submitView({ viewId, values });
    const view = fake.views.find((candidate) => candidate.id === viewId);
    assert.equal(view?.callbackId, 'expose_done');
    assert.equal(view?.title, 'Requested');
    assert.equal(fake.render({ blocks: view?.blocks }), 'PR opened');
  });

  test('submitting for another person, or a view the fake never opened, is a test mistake', async () => {
    const viewId = await openModal();
    await assert.rejects(
      fake.submitView({ viewId, userId: 'U0BOB00001', values: {} }),
      new RegExp(`view ${viewId} was opened for ${ALICE.id}; U0BOB00001 cannot submit it`),
    );
    await assert.rejects(fake.submitView({ viewId: 'V0NEVER', values: {} }), /never opened a view V0NEVER/);
  });

  test('clickButton sends the button as it is on the current message: value, block_id, text, type', async () => {
    const posted = await web.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'expose grafana?',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'expose *grafana*?' } },
        {
          type: 'actions',
          block_id: 'decide',
          elements: [
            {
              type: 'button',
              action_id: 'approve',
              value: 'req-1',
              style: 'primary',
              text: { type: 'plain_text', text: 'Approve & merge' },
            },
            {
              type: 'button',
              action_id: 'reject',
              value: 'req-1',
              text: { type: 'plain_text', text: 'Reject' },
            },
          ],
        },
      ],
    });
    let seen: Record<string, unknown> = {};
    onInteractive = async (body, ack) => {
      seen = body;
      await ack();
    };
    await fake.clickButton({ messageTs: posted.ts as string, actionId: 'reject', userId: ALICE.id });
    assert.equal(seen.type, 'block_actions');
    const [action] = seen.actions as Record<string, unknown>[];
    assert.equal(action?.type, 'button');
    assert.equal(action?.action_id, 'reject');
    assert.equal(action?.block_id, 'decide');
    assert.equal(action?.value, 'req-1');
    assert.deepEqual(action?.text, { type: 'plain_text', text: 'Reject', emoji: true });
    assert.equal((seen.message as { ts: string }).ts, posted.ts);
    assert.equal(fake.render(fake.messages.at(-1) ?? {}), 'expose *grafana*?\n[Approve & merge] [Reject]');

    await web.chat.update({ channel: 'C0OPS00001', ts: posted.ts as string, text: 'approved', blocks: [] });
    await assert.rejects(
      fake.clickButton({ messageTs: posted.ts as string, actionId: 'approve' }),
      /message \d+\.\d+ has no button with action_id approve/,
    );
  });

  test('clickButton without a block_id carries the same generated one on every click', async () => {
    const posted = await web.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'retry?',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: 'failed' },
          accessory: { type: 'button', action_id: 'retry', text: { type: 'plain_text', text: 'Retry' } },
        },
      ],
    });
    const blockIds: unknown[] = [];
    onInteractive = async (body, ack) => {
      blockIds.push((body.actions as { block_id: unknown }[])[0]?.block_id);
      await ack();
    };
    await fake.clickButton({ messageTs: posted.ts as string, actionId: 'retry' });
    await fake.clickButton({ messageTs: posted.ts as string, actionId: 'retry' });
    assert.equal(typeof blockIds[0], 'string');
    assert.equal(blockIds[0], blockIds[1]);
  });

  test('clickButton works on a thread reply and on an ephemeral message', async () => {
    const buttonBlocks = [
      {
        type: 'actions',
        elements: [{ type: 'button', action_id: 'confirm', text: { type: 'plain_text', text: 'Confirm' } }],
      },
    ];
    const parent = await web.chat.postMessage({ channel: 'C0OPS00001', text: 'parent' });
    const reply = await web.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'sure?',
      thread_ts: parent.ts as string,
      blocks: buttonBlocks,
    });
    const ephemeral = await web.chat.postEphemeral({
      channel: 'C0OPS00001',
      user: ALICE.id,
      text: 'sure?',
      blocks: buttonBlocks,
    });
    const containers: unknown[] = [];
    onInteractive = async (body, ack) => {
      containers.push(body.container);
      await ack();
    };
    await fake.clickButton({ messageTs: reply.ts as string, actionId: 'confirm' });
    await fake.clickButton({ messageTs: ephemeral.message_ts as string, actionId: 'confirm' });
    assert.deepEqual(containers, [
      {
        type: 'message',
        message_ts: reply.ts,
        channel_id: 'C0OPS00001',
        is_ephemeral: false,
        thread_ts: parent.ts,
      },
      { type: 'message', message_ts: ephemeral.message_ts, channel_id: 'C0OPS00001', is_ephemeral: true },
    ]);
    await assert.rejects(
      fake.clickButton({ messageTs: parent.ts as string, actionId: 'confirm' }),
      /has no button with action_id confirm \(its buttons: none\)/,
    );
    await assert.rejects(
      fake.clickButton({ messageTs: '1600000000.000100', actionId: 'confirm' }),
      /no message with ts 1600000000\.000100/,
    );
  });
});
