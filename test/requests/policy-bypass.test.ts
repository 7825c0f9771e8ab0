import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeSlack, FakeSlackMessage } from '../../src/sandbox/slack/index.js';
import { ACTION_IDS } from '../../src/transports/slack/blocks.js';
import { eventually } from '../helpers/service.js';
import { buttonOf, CHANNEL, rootMessages, startSlackService } from '../helpers/slack.js';
import { startWorld, type World } from '../helpers/world.js';

/**
 * Attempts to get around the approval policy, end to end: the real Bolt app over Socket Mode against the Slack
 * fake, the request service, GitHub (real git) and Cloudflare fakes. Each is refused, told to the person who tried
 * alone (through their click's or command's response_url), and nothing happens: no merge, no close, no tunnel, no
 * message posted, updated or deleted.
 */

const POLICY = `policy:
  fourEyes: true
  request: {users: [U0ALICE, U0BOB]}
  approve: {users: [U0ALICE, U0BOB]}
  environments:
    production:
      request: {users: [U0BOB]}
      approve: {users: [U0BOB]}
`;

const ENVIRONMENTS = [
  '{name: staging, path: apps/staging/tunnels, domain: example.com}',
  '{name: production, path: apps/production/tunnels, domain: example.com}',
];

/** What a refused attempt must leave as it was. */
async function stateOf(world: World, slack: FakeSlack) {
  const prs = await world.git.listOpenTunnelbotPrs();
  return {
    prs: prs.map((pr) => ({ number: pr.number, headSha: pr.headSha })).sort((a, b) => a.number - b.number),
    tunnels: world.cloudflare
      .tunnels()
      .map((tunnel) => tunnel.id)
      .sort(),
    records: world.cloudflare.records().length,
    messages: JSON.stringify(slack.messages),
    deleted: slack.deleted.length,
    writes: slack.calls.filter((call) =>
      ['chat.postMessage', 'chat.update', 'chat.delete', 'chat.postEphemeral'].includes(call.method),
    ).length,
  };
}

let responses = 0;

/** One click with a value of our choosing on a message; resolves with the text told back to the clicker. */
async function click(
  slack: FakeSlack,
  message: FakeSlackMessage,
  user: string,
  actionId: string,
  value: string,
): Promise<string> {
  const id = `bypass-${(responses += 1)}`;
  await slack.sendBlockAction({
    message_ts: message.ts,
    user_id: user,
    response_url: slack.responseUrl(id),
    actions: [{ action_id: actionId, block_id: 'tunnelbot_actions', value }],
  });
  await eventually(() => slack.responseUrlPosts.some((post) => post.id === id), `the answer to ${id}`);
  const body = slack.responseUrlPosts.find((post) => post.id === id)!.body as Record<string, unknown>;
  assert.equal(body['response_type'], 'ephemeral', 'told to the clicker alone');
  return String(body['text']);
}

function approveValue(message: FakeSlackMessage): { pr: number; sha: string } {
  return JSON.parse(buttonOf(message, ACTION_IDS.approve)!.value!) as { pr: number; sha: string };
}

test('policy bypass attempts through Slack are refused, told to that person alone, and change nothing', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world, { policy: POLICY, environments: ENVIRONMENTS });
  t.after(() => bot.close());
  const { slack } = bot;

  // Two requests of Alice's, each with its own root message and Approve button.
  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090 env=staging', user_id: 'U0ALICE' });
  await eventually(() => rootMessages(slack).some((m) => buttonOf(m, ACTION_IDS.approve)), 'linkding');
  await slack.sendSlashCommand({
    command: '/expose',
    text: 'podinfo 9898 ns=podinfo env=staging',
    user_id: 'U0ALICE',
  });
  await eventually(
    () => rootMessages(slack).filter((m) => buttonOf(m, ACTION_IDS.approve)).length === 2,
    'podinfo',
  );
  const [linkding, podinfo] = rootMessages(slack) as [FakeSlackMessage, FakeSlackMessage];
  const ownValue = approveValue(linkding);
  const otherValue = approveValue(podinfo);
  assert.notEqual(ownValue.pr, otherValue.pr);

  const attempts: [what: string, user: string, value: string, told: RegExp][] = [
    [
      'the requester approves her own request',
      'U0ALICE',
      JSON.stringify(ownValue),
      /TB_ERR_POLICY_SELF_APPROVAL/,
    ],
    [
      'a user the policy does not know approves',
      'U0MALLORY',
      JSON.stringify(ownValue),
      /TB_ERR_POLICY_NOT_APPROVER/,
    ],
    [
      'someone Slack does not know approves',
      'U0NOBODY1',
      JSON.stringify(ownValue),
      /TB_ERR_POLICY_NOT_APPROVER/,
    ],
    [
      "another PR's number and head on this message",
      'U0BOB',
      JSON.stringify(otherValue),
      /not one tunnelbot made/,
    ],
    [
      "another PR's head with this PR's number",
      'U0BOB',
      JSON.stringify({ pr: ownValue.pr, sha: otherValue.sha }),
      /not one tunnelbot made/,
    ],
    [
      'a made-up head',
      'U0BOB',
      JSON.stringify({ pr: ownValue.pr, sha: 'f'.repeat(40) }),
      /not one tunnelbot made/,
    ],
    [
      'a PR number that does not exist',
      'U0BOB',
      JSON.stringify({ pr: 999, sha: ownValue.sha }),
      /not one tunnelbot made/,
    ],
    ['malformed JSON', 'U0BOB', '{"pr": 1, "sha": ', /not one tunnelbot made/],
    [
      'a number as a string',
      'U0BOB',
      JSON.stringify({ pr: String(ownValue.pr), sha: ownValue.sha }),
      /not one tunnelbot made/,
    ],
    [
      'oversized (past Slack’s 2,000 characters)',
      'U0BOB',
      JSON.stringify({ ...ownValue, padding: 'x'.repeat(2_000) }),
      /not one tunnelbot made/,
    ],
    [
      'an extra field',
      'U0BOB',
      JSON.stringify({ ...ownValue, merge_method: 'squash' }),
      /not one tunnelbot made/,
    ],
  ];
  const told: string[] = [];
  for (const [what, user, value, expected] of attempts) {
    const before = await stateOf(world, slack);
    const text = await click(slack, linkding, user, ACTION_IDS.approve, value);
    assert.match(text, expected, what);
    // Anything the click set off (a merge, a message update) would have happened by the time it was answered;
    // a moment more for work that runs after the answer.
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(await stateOf(world, slack), before, `${what}: nothing changed`);
    told.push(`${what}: ${text.split('\n')[0]}`);
  }
  // Reject has the same check: a hand-made Reject naming the other request, clicked on this one's message.
  {
    const before = await stateOf(world, slack);
    const text = await click(
      slack,
      linkding,
      'U0BOB',
      ACTION_IDS.reject,
      JSON.stringify({ pr: otherValue.pr }),
    );
    assert.match(text, /not one tunnelbot made/);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(await stateOf(world, slack), before, 'a foreign Reject closes nothing');
  }

  // A request in an environment Alice may not use: refused before anything exists.
  {
    const before = await stateOf(world, slack);
    const answered = slack.responseUrlPosts.length;
    await slack.sendSlashCommand({
      command: '/expose',
      text: 'linkding 9090 env=production',
      user_id: 'U0ALICE',
    });
    await eventually(() => slack.responseUrlPosts.length > answered, 'the refusal');
    const body = slack.responseUrlPosts.at(-1)!.body as Record<string, unknown>;
    assert.equal(body['response_type'], 'ephemeral');
    assert.match(String(body['text']), /TB_ERR_POLICY_NOT_REQUESTER/);
    assert.match(String(body['text']), /production/);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(await stateOf(world, slack), before, 'no PR, tunnel or message for a refused request');
    told.push(`a request in production: ${String(body['text']).split('\n')[0]}`);
  }

  // The head moves after the message was posted (a teammate pushes to the branch): the button's SHA is stale.
  const pr = await world.git.getPr(ownValue.pr);
  const moved = await world.github.commitToBranch(
    pr.headRef,
    { 'apps/staging/tunnels/NOTE.md': 'pushed\n' },
    'a push',
  );
  {
    const before = await stateOf(world, slack);
    const text = await click(
      slack,
      linkding,
      'U0BOB',
      ACTION_IDS.approve,
      buttonOf(linkding, ACTION_IDS.approve)!.value!,
    );
    assert.match(text, /TB_ERR_GITHUB_PR_HEAD_CHANGED/);
    const after = await world.git.getPr(ownValue.pr);
    assert.equal(after.merged, false, 'not merged');
    assert.equal(after.state, 'open');
    assert.deepEqual(
      (await stateOf(world, slack)).prs,
      before.prs.map((p) => (p.number === pr.number ? { ...p, headSha: moved } : p)),
    );
    assert.deepEqual((await stateOf(world, slack)).tunnels, before.tunnels);
    // The message now offers Approve pinned to the new head, so the next click approves what it shows.
    await eventually(() => approveValue(linkding).sha === moved, 'the message pinned to the new head');
    told.push(`a stale head: ${text.split('\n')[0]}`);
  }
  // Still nothing merged anywhere, and Bob's click on the refreshed button merges the head it shows.
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 2);
  await slack.clickButton({ messageTs: linkding.ts, actionId: ACTION_IDS.approve, userId: 'U0BOB' });
  await eventually(() => world.github.pull(ownValue.pr)?.state === 'closed', 'the merge of the head shown');
  assert.equal((await world.git.getPr(ownValue.pr)).merged, true);
  assert.equal((await world.git.getPr(ownValue.pr)).headSha, moved);
  assert.equal((await world.git.getPr(otherValue.pr)).state, 'open', 'the other request untouched');
  assert.equal(linkding.channel, CHANNEL);
  t.diagnostic(told.join('\n'));
});
