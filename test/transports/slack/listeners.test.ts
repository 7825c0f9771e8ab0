import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXPOSE_FORM_CALLBACK } from '../../../src/transports/slack/blocks.js';
import { eventually } from '../../helpers/service.js';
import { CHANNEL, rootMessages, startSlackService } from '../../helpers/slack.js';
import { startWorld } from '../../helpers/world.js';

function responseTexts(bot: Awaited<ReturnType<typeof startSlackService>>): string[] {
  return bot.slack.responseUrlPosts.map((post) => bot.slack.render(post.body as { text?: string }));
}

test('/expose alone opens the form; field errors are shown inline, a valid submission becomes the request', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world);
  t.after(() => bot.close());
  const { slack } = bot;

  await slack.sendSlashCommand({ command: '/expose', text: '', user_id: 'U0ALICE' });
  await eventually(() => slack.callsOf('views.open').length === 1, 'views.open');
  assert.equal(
    slack.callsOf('views.open')[0]!.outcome,
    'ok',
    JSON.stringify(slack.callsOf('views.open')[0]) + JSON.stringify(slack.responseUrlPosts),
  );
  const view = slack.views[0]!;
  assert.equal(view.callbackId, EXPOSE_FORM_CALLBACK);
  assert.equal(view.userId, 'U0ALICE');
  assert.match(JSON.stringify(view.blocks), /"value":"staging"/, 'the environment picker offers staging');

  const invalid = (await slack.submitView({
    viewId: view.id,
    userId: 'U0ALICE',
    values: {
      app: { value: { type: 'plain_text_input', value: 'Bad_Name' } },
      port: { value: { type: 'plain_text_input', value: '70000' } },
      host: { value: { type: 'plain_text_input', value: 'https://x.example.com/' } },
    },
  })) as { response_action: string; errors: Record<string, string> };
  assert.equal(invalid.response_action, 'errors');
  assert.match(invalid.errors.app!, /not a valid app name/);
  assert.match(invalid.errors.port!, /not a port/);
  assert.match(invalid.errors.host!, /bare hostname/);
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 0, 'nothing happens on invalid input');

  const accepted = await slack.submitView({
    viewId: view.id,
    userId: 'U0ALICE',
    values: {
      app: { value: { type: 'plain_text_input', value: 'linkding' } },
      port: { value: { type: 'plain_text_input', value: '9090' } },
    },
  });
  assert.deepEqual(accepted ?? {}, {}, 'a valid submission closes the form (an empty ack)');
  await eventually(
    () => rootMessages(slack).some((m) => m.channel === CHANNEL && /linkding/.test(m.text ?? '')),
    'the request in the channel',
  );
  await eventually(() => /Waiting for approval/.test(slack.render(rootMessages(slack)[0]!)), 'the PR opened');
  const prs = await world.git.listOpenTunnelbotPrs();
  assert.equal(prs.length, 1);
  assert.equal(prs[0]!.metadata?.requester.slackUserId, 'U0ALICE');
});

test('/expose list answers the person alone with what is exposed and what waits; help is the ack', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world);
  t.after(() => bot.close());
  const { slack } = bot;

  const help = (await slack.sendSlashCommand({ command: '/unexpose', text: 'help', user_id: 'U0BOB' })) as {
    text: string;
  };
  assert.match(help.text, /\/expose APP PORT/);

  await slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(
    () =>
      rootMessages(slack).length === 1 && /Waiting for approval/.test(slack.render(rootMessages(slack)[0]!)),
    'the request',
  );
  await slack.sendSlashCommand({ command: '/expose', text: 'list', user_id: 'U0BOB' });
  await eventually(() => responseTexts(bot).some((text) => /staging/.test(text)), 'the listing');
  const listing = responseTexts(bot).find((text) => /staging/.test(text))!;
  assert.match(listing, /nothing exposed/);
  assert.match(
    listing,
    /_Waiting for approval:_\n• #1 \(http[^)]*\/pull\/1\) expose linkding \(linkding\.example\.com\)/,
  );
  assert.equal(
    (bot.slack.responseUrlPosts.at(-1)!.body as { response_type?: string }).response_type,
    'ephemeral',
  );
});

test('the policy reads user groups through usergroups.users.list, and a free plan is explained', async (t) => {
  const policy = 'policy:\n  request: {groups: [S0OPS]}\n  approve: {groups: [S0OPS]}\n';
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world, { policy });
  t.after(() => bot.close());
  bot.slack.addUserGroup('S0OPS', ['U0ALICE']);
  await bot.slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0BOB' });
  await eventually(
    () => responseTexts(bot).some((text) => /TB_ERR_POLICY_NOT_REQUESTER/.test(text)),
    'Bob refused',
  );
  await bot.slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(() => rootMessages(bot.slack).length === 1, 'Alice, a member, may request');
  assert.equal(bot.slack.callsOf('usergroups.users.list').length, 1, 'the group is read once, then cached');

  const freeWorld = await startWorld();
  t.after(() => freeWorld.close());
  const free = await startSlackService(freeWorld, { policy, userGroupsUnavailable: true });
  t.after(() => free.close());
  await free.slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(
    () => responseTexts(free).some((text) => /plan_upgrade_required/.test(text)),
    'the plan explained',
  );
  assert.match(responseTexts(free).join('\n'), /List the people by Slack user id/);
  assert.equal(rootMessages(free.slack).length, 0);
});

test('a channel the bot is not in: the requester is told to invite it, and nothing is created', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world);
  t.after(() => bot.close());
  bot.slack.addChannel('C0ELSEWHERE', { member: false });
  await bot.slack.sendSlashCommand({
    command: '/expose',
    text: 'linkding 9090',
    user_id: 'U0ALICE',
    channel_id: 'C0ELSEWHERE',
  });
  await eventually(
    () => responseTexts(bot).some((text) => /TB_ERR_SLACK_NOT_IN_CHANNEL/.test(text)),
    'the refusal',
  );
  assert.match(responseTexts(bot).join('\n'), /\/invite @tunnelbot/);
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 0);
  assert.equal(world.cloudflare.tunnels().length, 0);
});
