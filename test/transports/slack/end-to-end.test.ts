import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBlockKit, type FakeSlack, type FakeSlackMessage } from '../../../src/sandbox/slack/index.js';
import { ACTION_IDS } from '../../../src/transports/slack/blocks.js';
import { fluxSignature, kustomizationEvent } from '../../helpers/flux.js';
import { eventually } from '../../helpers/service.js';
import {
  buttonOf,
  CHANNEL,
  FLUX_TOKEN,
  rootMessages,
  SLACK_APP_TOKEN,
  SLACK_BOT_TOKEN,
  startSlackService,
  threadOf,
} from '../../helpers/slack.js';
import { startWorld } from '../../helpers/world.js';

async function click(slack: FakeSlack, message: FakeSlackMessage, actionId: string, user: string) {
  return slack.clickButton({ messageTs: message.ts, actionId, userId: user });
}

function ephemeralTexts(slack: FakeSlack): string[] {
  return slack.responseUrlPosts.map((post) => String((post.body as { text?: unknown }).text ?? ''));
}

async function postFlux(url: string, event: string): Promise<number> {
  const response = await fetch(`${url}/webhooks/flux`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': fluxSignature(FLUX_TOKEN, event) },
    body: event,
  });
  return response.status;
}

for (const mode of ['socket', 'http'] as const) {
  test(`${mode} mode end to end: /expose, self-approval refused, a second user approves, Flux makes it live, /unexpose leaves nothing`, async (t) => {
    const world = await startWorld();
    t.after(() => world.close());
    const bot = await startSlackService(world, { mode });
    t.after(() => bot.close());
    const { slack } = bot;

    const report = bot.service.readiness.report();
    assert.equal(report.checks.slack, 'ok', JSON.stringify(report));

    // /expose: acked at once with nothing (the root message carries the request), the PR opened after the ack.
    const ack = await slack.sendSlashCommand({
      command: '/expose',
      text: 'linkding 9090',
      user_id: 'U0ALICE',
    });
    assert.deepEqual(ack ?? {}, {});
    await eventually(
      () => rootMessages(slack).some((m) => buttonOf(m, ACTION_IDS.approve)),
      'the request message with its buttons',
    );
    const [root] = rootMessages(slack);
    assert.ok(root);
    assert.equal(root.channel, CHANNEL);
    assert.match(slack.render(root), /linkding\.example\.com/);
    assert.ok(root.text && root.text.length > 0, 'a text fallback for notifications');
    const prs = await world.git.listOpenTunnelbotPrs();
    assert.equal(prs.length, 1);
    const pr = prs[0]!;
    assert.equal(
      JSON.parse(buttonOf(root, ACTION_IDS.approve)!.value!).sha,
      pr.headSha,
      'Approve is pinned to the head SHA',
    );
    assert.equal(buttonOf(root, ACTION_IDS.viewPr)!.url, pr.url);

    // The requester's own Approve is refused, to her alone, and nothing happens.
    await click(slack, root, ACTION_IDS.approve, 'U0ALICE');
    await eventually(
      () => ephemeralTexts(slack).some((text) => /four-eyes|own request|approve/i.test(text)),
      'the refusal',
    );
    assert.equal((await world.git.getPr(pr.number)).merged, false);

    // Bob approves: merged pinned to the SHA shown, the message says so, DNS waits for Flux.
    await click(slack, root, ACTION_IDS.approve, 'U0BOB');
    await eventually(
      () => threadOf(slack, root).some((text) => text.includes('Approved by <@U0BOB>')),
      'the approval in the thread',
    );
    const merged = await world.git.getPr(pr.number);
    assert.equal(merged.merged, true);
    assert.equal(merged.headSha, pr.headSha);
    assert.deepEqual(world.cloudflare.records(), [], 'no DNS before Flux applied it');
    assert.equal(
      buttonOf(rootMessages(slack)[0]!, ACTION_IDS.approve),
      undefined,
      'no Approve button after the merge',
    );

    // Flux applies the merge commit: live in the root message and once in the thread.
    const mergeSha = merged.mergeSha!;
    // Flux runs cloudflared (simulated), then notifies; DNS waits for the running tunnel.
    await world.fluxApplies(mergeSha);
    const event = kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${mergeSha}` });
    assert.equal(await postFlux(bot.url, event), 202);
    await eventually(
      () => threadOf(slack, root).some((text) => text.includes('Live at https://linkding.example.com')),
      'live in the thread',
    );
    assert.equal(world.cloudflare.records().length, 1);
    assert.match(slack.render(rootMessages(slack)[0]!), /live/i);
    // Flux repeats its success every interval: nothing more is posted.
    const posted = slack.messages.length;
    assert.equal(await postFlux(bot.url, event), 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(slack.messages.length, posted);

    // /unexpose goes through the same Approve button.
    await slack.sendSlashCommand({ command: '/unexpose', text: 'linkding', user_id: 'U0BOB' });
    await eventually(
      () =>
        rootMessages(slack).length === 2 &&
        buttonOf(rootMessages(slack)[1]!, ACTION_IDS.approve) !== undefined,
      'the unexpose request',
    );
    const unexposeRoot = rootMessages(slack)[1]!;
    await click(slack, unexposeRoot, ACTION_IDS.approve, 'U0ALICE');
    await eventually(() => world.cloudflare.records().length === 0, 'the CNAME removed');
    const unexposeMerge = (await world.git.getPr(pr.number + 1)).mergeSha!;
    await world.fluxApplies(unexposeMerge);
    assert.equal(
      await postFlux(
        bot.url,
        kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${unexposeMerge}` }),
      ),
      202,
    );
    await eventually(
      () => threadOf(slack, unexposeRoot).some((text) => /Nothing of linkding is left behind/.test(text)),
      'removed in the thread',
    );
    assert.deepEqual(world.cloudflare.tunnels(), [], 'the tunnel is deleted');

    for (const secret of [SLACK_BOT_TOKEN, SLACK_APP_TOKEN, FLUX_TOKEN, world.cloudflare.apiToken]) {
      assert.ok(!bot.logs().includes(secret), 'no token in the logs');
      assert.ok(!JSON.stringify(slack.calls).includes(secret), 'no token in what Slack was sent');
    }
    // Every message within Block Kit's limits, with a text fallback for notifications.
    for (const call of slack.calls.filter((c) =>
      ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method),
    )) {
      assert.equal(call.outcome, 'ok', `${call.method}: ${call.outcome}`);
      assert.ok(
        typeof call.args.text === 'string' && call.args.text.length > 0,
        `${call.method} has a text fallback`,
      );
      if (call.args.blocks !== undefined) assert.deepEqual(checkBlockKit(call.args.blocks, 'message'), []);
    }
  });
}

test('duplicates: a redelivered /expose envelope and a double click make one PR, one message and one merge', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world);
  t.after(() => bot.close());
  const { slack } = bot;

  const [first, second] = await slack.sendSlashCommandTwice({
    command: '/expose',
    text: 'linkding 9090',
    user_id: 'U0ALICE',
  });
  assert.deepEqual([first ?? {}, second ?? {}], [{}, {}], 'both deliveries are acked');
  await eventually(
    () => rootMessages(slack).some((m) => buttonOf(m, ACTION_IDS.approve)),
    'the request message',
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(rootMessages(slack).length, 1, 'one root message');
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 1, 'one PR');
  assert.equal(world.cloudflare.tunnels().length, 1, 'one tunnel');

  // Typed again by hand (a new trigger): the request already waits; the second message steps aside.
  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0BOB' });
  await eventually(
    () => ephemeralTexts(slack).some((text) => /already waiting for approval/.test(text)),
    'the duplicate told',
  );
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 1);
  assert.equal(world.cloudflare.tunnels().length, 1);

  const root = rootMessages(slack)[0]!;
  await Promise.all([
    click(slack, root, ACTION_IDS.approve, 'U0BOB'),
    click(slack, root, ACTION_IDS.approve, 'U0BOB'),
  ]);
  await eventually(() => threadOf(slack, root).some((text) => text.includes('Approved by')), 'the approval');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(
    threadOf(slack, root).filter((text) => text.includes('Approved by')).length,
    1,
    'one approval message',
  );
});

test('a replica restarted between the merge and the Flux event still completes the thread', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const first = await startSlackService(world);
  const { slack } = first;
  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(
    () => rootMessages(slack).some((m) => buttonOf(m, ACTION_IDS.approve)),
    'the request message',
  );
  const root = rootMessages(slack)[0]!;
  const { pr: number } = JSON.parse(buttonOf(root, ACTION_IDS.approve)!.value!) as { pr: number };
  await click(slack, root, ACTION_IDS.approve, 'U0BOB');
  await eventually(() => threadOf(slack, root).some((text) => text.includes('Approved by')), 'the approval');
  await first.service.stop();

  // A new process: nothing in memory, only git (the PR's metadata block) and the same Slack.
  const second = await startSlackService(world, { reuse: { slack, apiUrl: first.apiUrl } });
  t.after(() => second.close());
  const pr = await world.git.getPr(number);

  await world.fluxApplies(pr.mergeSha!);
  const event = kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${pr.mergeSha!}` });
  assert.equal(await postFlux(second.url, event), 202);
  await eventually(
    () => threadOf(slack, root).some((text) => text.includes('Live at https://linkding.example.com')),
    'live in the thread',
  );
  assert.equal(world.cloudflare.records().length, 1);
  assert.equal(
    slack.messages.filter((m) => m.threadTs === undefined).length,
    1,
    'the same root message, updated',
  );
});

test('policy and failures: an unknown user is refused alone, Reject cleans up, a Flux failure is explained in the thread', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world);
  t.after(() => bot.close());
  const { slack } = bot;

  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0MALLORY' });
  await eventually(
    () => ephemeralTexts(slack).some((text) => /TB_ERR_POLICY_NOT_REQUESTER/.test(text)),
    'the refusal',
  );
  assert.equal(rootMessages(slack).length, 0, 'nothing posted in the channel');
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 0);
  assert.equal(world.cloudflare.tunnels().length, 0);

  // Rejected by a reviewer: PR closed, branch and tunnel gone, the message says who rejected it.
  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(
    () => rootMessages(slack).some((m) => buttonOf(m, ACTION_IDS.reject)),
    'the request message',
  );
  const rejectedRoot = rootMessages(slack)[0]!;
  const { pr: rejectedNumber } = JSON.parse(buttonOf(rejectedRoot, ACTION_IDS.approve)!.value!) as {
    pr: number;
  };
  await click(slack, rejectedRoot, ACTION_IDS.reject, 'U0MALLORY');
  await eventually(
    () => ephemeralTexts(slack).some((text) => /TB_ERR_POLICY_NOT_APPROVER/.test(text)),
    'the refused reject',
  );
  assert.equal((await world.git.getPr(rejectedNumber)).state, 'open');
  await click(slack, rejectedRoot, ACTION_IDS.reject, 'U0BOB');
  await eventually(() => world.cloudflare.tunnels().length === 0, 'the tunnel deleted');
  assert.equal((await world.git.getPr(rejectedNumber)).state, 'closed');
  assert.match(slack.render(rejectedRoot), /reject/i);
  assert.equal(buttonOf(rejectedRoot, ACTION_IDS.approve), undefined);

  // Merged, then Flux fails to decrypt: the reason and its fix in the thread, once.
  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(
    () =>
      rootMessages(slack).length === 2 && buttonOf(rootMessages(slack)[1]!, ACTION_IDS.approve) !== undefined,
    'the second request',
  );
  const root = rootMessages(slack)[1]!;
  const { pr: number } = JSON.parse(buttonOf(root, ACTION_IDS.approve)!.value!) as { pr: number };
  await click(slack, root, ACTION_IDS.approve, 'U0BOB');
  await eventually(() => threadOf(slack, root).some((text) => text.includes('Approved by')), 'the approval');
  const mergeSha = (await world.git.getPr(number)).mergeSha!;
  const failure = kustomizationEvent(
    'ReconciliationFailed',
    { revision: `main@sha1:${mergeSha}` },
    {
      severity: 'error',
      message:
        'decryption failed: failed to load age identities: open /root/.config/sops/age/keys.txt: no such file',
    },
  );
  assert.equal(await postFlux(bot.url, failure), 202);
  await eventually(
    () => threadOf(slack, root).some((text) => text.includes('.agekey')),
    'the failure explained',
  );
  assert.equal(await postFlux(bot.url, failure), 202);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(threadOf(slack, root).filter((text) => text.includes('.agekey')).length, 1, 'told once');
  assert.match(slack.render(root), /agekey/);
  assert.deepEqual(world.cloudflare.records(), [], 'no DNS for a change Flux could not apply');
});

test('two replicas on the same Slack, GitHub and Cloudflare: one tunnel, one PR, one merge, one live message', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const one = await startSlackService(world);
  const two = await startSlackService(world, { reuse: { slack: one.slack, apiUrl: one.apiUrl } });
  t.after(async () => {
    await two.service.stop();
    await one.close();
  });
  const { slack } = one;
  assert.equal(slack.openSockets, 2);
  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(
    () => rootMessages(slack).some((m) => buttonOf(m, ACTION_IDS.approve)),
    'the request message',
  );
  const root = rootMessages(slack)[0]!;
  const { pr: number } = JSON.parse(buttonOf(root, ACTION_IDS.approve)!.value!) as { pr: number };
  // Both replicas press the button for Bob at once (as if Slack had delivered the click to each).
  await Promise.all([
    one.service.requests.approve(
      { id: 'U0BOB', name: 'bob' },
      { prNumber: number, headSha: JSON.parse(buttonOf(root, ACTION_IDS.approve)!.value!).sha },
    ),
    two.service.requests.approve(
      { id: 'U0BOB', name: 'bob' },
      { prNumber: number, headSha: JSON.parse(buttonOf(root, ACTION_IDS.approve)!.value!).sha },
    ),
  ]);
  await eventually(() => threadOf(slack, root).some((text) => text.includes('Approved by')), 'the approval');
  const mergeSha = (await world.git.getPr(number)).mergeSha!;
  await world.fluxApplies(mergeSha);
  const event = kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${mergeSha}` });
  // Both replicas get the event at the same instant (two Alerts, or a retry racing the first delivery): the one
  // that claims the announcement posts the line.
  assert.deepEqual(await Promise.all([postFlux(one.url, event), postFlux(two.url, event)]), [202, 202]);
  await eventually(() => threadOf(slack, root).some((text) => text.includes('Live at')), 'live');
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(
    threadOf(slack, root).filter((text) => text.includes('Approved by')).length,
    1,
    'one merge told',
  );
  assert.equal(
    threadOf(slack, root).filter((text) => text.includes('Live at')).length,
    1,
    'one live message',
  );
  assert.equal(rootMessages(slack).length, 1);
  assert.equal(world.cloudflare.tunnels().length, 1);
  assert.equal(world.cloudflare.records().length, 1);
});
