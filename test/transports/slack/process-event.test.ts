import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App } from '@slack/bolt';
import type { RequestService } from '../../../src/requests/service.js';
import { boltLogger } from '../../../src/transports/slack/app.js';
import { ACTION_IDS } from '../../../src/transports/slack/blocks.js';
import { registerListeners } from '../../../src/transports/slack/listeners.js';
import { captureLogs } from '../../helpers/logs.js';

/**
 * The first tier of Slack tests: Bolt's own `processEvent` with an in-process fetch, no socket, no port (as bolt-js
 * tests its routing). Everything the listeners send goes through `fetch` and is recorded here.
 */

interface Sent {
  url: string;
  body: unknown;
}

function boltApp(requests: Partial<RequestService>) {
  const sent: Sent[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const raw = typeof init?.body === 'string' ? init.body : '';
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
    sent.push({ url, body });
    return new Response(JSON.stringify({ ok: true }), { headers: { 'content-type': 'application/json' } });
  };
  const logs = captureLogs();
  const app = new App({
    token: 'xoxb-tier-one',
    botId: 'B0TIER',
    botUserId: 'U0TIERBOT',
    logger: boltLogger(logs.logger),
    receiver: { init() {}, start: async () => {}, stop: async () => {} },
    clientOptions: { fetch, retryConfig: { retries: 0 } },
  });
  registerListeners(app, { requests: requests as RequestService, logger: logs.logger });
  const deliver = async (body: Record<string, unknown>) => {
    let acked: unknown = 'not acked';
    await app.processEvent({
      body,
      ack: async (response?: unknown) => {
        acked = response;
      },
    });
    return acked;
  };
  return { deliver, sent };
}

function command(text: string, triggerId: string) {
  return {
    token: 'legacy',
    team_id: 'T0TIER',
    team_domain: 'tier',
    channel_id: 'C0TIER',
    channel_name: 'ops',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/expose',
    text,
    api_app_id: 'A0TIER',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.test/commands/1',
    trigger_id: triggerId,
  };
}

function click(value: string, triggerId: string) {
  return {
    type: 'block_actions',
    user: { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T0TIER' },
    api_app_id: 'A0TIER',
    token: 'legacy',
    container: { type: 'message', message_ts: '1.000100', channel_id: 'C0TIER', is_ephemeral: false },
    trigger_id: triggerId,
    team: { id: 'T0TIER', domain: 'tier' },
    channel: { id: 'C0TIER', name: 'ops' },
    response_url: 'https://hooks.slack.test/actions/1',
    actions: [
      {
        type: 'button',
        action_id: ACTION_IDS.approve,
        block_id: 'tunnelbot_actions',
        value,
        action_ts: '1.2',
        text: { type: 'plain_text', text: 'Approve & merge' },
      },
    ],
  };
}

test('processEvent: a bad argument is the ack; a valid /expose is acked empty, then the service is called once', async () => {
  const calls: unknown[] = [];
  const { deliver, sent } = boltApp({
    expose: async (actor, input, where) => {
      calls.push({ actor, input, where });
      return { ok: true, text: '' };
    },
  });
  const bad = (await deliver(command('linkding 90x', 't-1'))) as { text: string; response_type: string };
  assert.equal(bad.response_type, 'ephemeral');
  assert.match(bad.text, /"90x" is not a port.*\n\*Fix:\*.*TB_ERR_PLAN_INVALID_PORT/s);
  assert.deepEqual(calls, []);

  assert.equal(await deliver(command('linkding 9090 host=Links.Example.com', 't-2')), undefined);
  assert.deepEqual(calls, [
    {
      actor: { id: 'U0ALICE', name: 'alice' },
      input: { app: 'linkding', port: 9090, hostname: 'links.example.com' },
      where: { channel: 'C0TIER' },
    },
  ]);
  // Redelivered (same trigger): acked, not run again.
  assert.equal(await deliver(command('linkding 9090 host=Links.Example.com', 't-2')), undefined);
  assert.equal(calls.length, 1);
  assert.deepEqual(sent, [], 'nothing said: the request message carries it');
});

test('processEvent: a button value edited by hand changes nothing and is told to the clicker alone', async () => {
  const approvals: unknown[] = [];
  const { deliver, sent } = boltApp({
    approve: async (actor, input) => {
      approvals.push({ actor, input });
      return { ok: false, text: 'refused' };
    },
  });
  for (const [i, value] of [
    '{"pr":1}',
    '{"pr":"1","sha":"x"}',
    'not json',
    JSON.stringify({ pr: 1, sha: 'A'.repeat(40) }),
  ].entries()) {
    await deliver(click(value, `t-${i}`));
  }
  assert.deepEqual(approvals, []);
  assert.equal(sent.length, 4);
  for (const message of sent) {
    assert.equal(message.url, 'https://hooks.slack.test/actions/1');
    assert.deepEqual(message.body, {
      response_type: 'ephemeral',
      replace_original: false,
      text: 'This button is not one tunnelbot made; use the buttons on the request message.',
    });
  }
  const sha = 'a'.repeat(40);
  await deliver(click(JSON.stringify({ pr: 7, sha }), 't-good'));
  assert.deepEqual(approvals, [
    {
      actor: { id: 'U0BOB', name: 'bob' },
      input: { prNumber: 7, headSha: sha, shownOn: { channel: 'C0TIER', ts: '1.000100' } },
    },
  ]);
  assert.deepEqual((sent.at(-1)!.body as { text: string }).text, 'refused');
});
