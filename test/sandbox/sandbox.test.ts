import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { FakeSlack } from '../../src/sandbox/slack/index.js';
import { ACTION_IDS } from '../../src/transports/slack/blocks.js';
import { captureLogs } from '../helpers/logs.js';
import { eventually } from '../helpers/service.js';
import {
  buttonOf,
  rootMessages,
  SLACK_APP_TOKEN,
  SLACK_BOT_TOKEN,
  threadOf,
  USERS,
} from '../helpers/slack.js';

test('sandbox: the real service on fake GitHub and Cloudflare takes /expose to live and /unexpose to nothing', async (t) => {
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN, users: USERS });
  const { apiUrl } = await slack.start();
  t.after(() => slack.stop());
  const sandbox = await startSandbox({
    slack: { mode: 'socket', botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN, apiUrl },
    logger: captureLogs().logger,
    port: 0,
    fluxDelayMs: 50,
    slackTuning: { retries: 0 },
  });
  t.after(() => sandbox.stop());
  assert.equal((await fetch(`${sandbox.url}/healthz`)).status, 200);

  const click = async (ts: string, actionId: string, user: string) => {
    const message = slack.messages.find((m) => m.ts === ts)!;
    const button = buttonOf(message, actionId)!;
    await slack.sendBlockAction({
      actions: [{ action_id: actionId, block_id: 'tunnelbot_actions', value: button.value! }],
      message_ts: ts,
      user_id: user,
    });
  };

  for (const [app, port] of [
    ['linkding', 9090],
    ['whoami', 80],
  ] as const) {
    await slack.sendSlashCommand({ command: '/expose', text: `${app} ${port}`, user_id: 'U0ALICE' });
    await eventually(
      () => rootMessages(slack).some((m) => m.text?.includes(app) && buttonOf(m, ACTION_IDS.approve)),
      `the ${app} request`,
    );
    const root = rootMessages(slack).find((m) => m.text?.includes(app))!;
    await click(root.ts, ACTION_IDS.approve, 'U0BOB');
    await eventually(
      () => threadOf(slack, root).some((text) => text.includes(`Live at https://${app}.example.com`)),
      `${app} live`,
    );
  }
  assert.deepEqual(
    sandbox.cloudflare
      .records()
      .map((r) => r.name)
      .sort(),
    ['linkding.example.com', 'whoami.example.com'],
  );
  // The sandbox environment requires Access: each app has its own application.
  assert.deepEqual(
    sandbox.cloudflare
      .accessApps()
      .map((a) => a.domain)
      .sort(),
    ['linkding.example.com', 'whoami.example.com'],
  );

  await slack.sendSlashCommand({ command: '/unexpose', text: 'linkding', user_id: 'U0BOB' });
  await eventually(
    () => rootMessages(slack).some((m) => /unexpose/i.test(m.text ?? '') && buttonOf(m, ACTION_IDS.approve)),
    'the unexpose request',
  );
  const removal = rootMessages(slack).find((m) => /unexpose/i.test(m.text ?? ''))!;
  await click(removal.ts, ACTION_IDS.approve, 'U0ALICE');
  await eventually(
    () => threadOf(slack, removal).some((text) => /Nothing of linkding is left behind/.test(text)),
    'linkding removed',
  );
  assert.deepEqual(
    sandbox.cloudflare.records().map((r) => r.name),
    ['whoami.example.com'],
  );
  assert.equal(sandbox.cloudflare.tunnels().length, 1);
  assert.deepEqual(
    sandbox.cloudflare.accessApps().map((a) => a.domain),
    ['whoami.example.com'],
    "linkding's Access application went with it",
  );
});
