import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELP_TEXT, parseSlashCommand, type SlashCommand } from '../../../src/core/slash-command.js';
import { isTunnelbotError } from '../../../src/errors.js';
import { errorText } from '../../../src/requests/service.js';
import { signSlackRequest } from '../../../src/sandbox/slack/index.js';
import { FUZZ_SEED, fuzzTexts, sample } from '../../helpers/fuzz.js';
import { eventually } from '../../helpers/service.js';
import { SLACK_SIGNING_SECRET, startSlackService } from '../../helpers/slack.js';
import { startWorld } from '../../helpers/world.js';
import { figure } from '../../helpers/figures.js';

/**
 * 400 of the fuzzed slash-command texts through the real Slack path of `tunnelbot serve` in HTTP mode (signed
 * `POST /slack/events`, Bolt, the listeners, the request service) on the loopback fakes, sent by Mallory, whom the
 * policy does not know, so an accepted command stops at the policy. A refused text is answered in the ack with the
 * parser's own error; an accepted one reaches the request service with exactly the parsed fields.
 */

test('fuzz: 400 random slash-command texts through the Slack HTTP route: refused in the ack or passed on exactly', async (t) => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  t.after(() => process.off('unhandledRejection', onRejection));
  const world = await startWorld();
  t.after(() => world.close());
  const bot = await startSlackService(world, { mode: 'http' });
  t.after(() => bot.close());
  const { requests } = bot.service;
  const reached: { kind: string; command: unknown }[] = [];
  const expose = requests.expose.bind(requests);
  const unexpose = requests.unexpose.bind(requests);
  requests.expose = async (actor, command, where) => {
    reached.push({ kind: 'expose', command });
    return expose(actor, command, where);
  };
  requests.unexpose = async (actor, command, where) => {
    reached.push({ kind: 'unexpose', command });
    return unexpose(actor, command, where);
  };

  const seed = FUZZ_SEED + 40;
  const cases = sample(fuzzTexts(), 400, seed).filter(({ command }) => command.startsWith('/'));
  const tally = { refused: 0, help: 0, form: 0, list: 0, passed: 0 };
  const expected: { kind: string; command: unknown }[] = [];
  /** The code each passed-on command is answered with through its response_url, by case. */
  const told = new Map<string, string>();
  for (const [index, { command, text }] of cases.entries()) {
    const replay = `seed ${seed}, case ${index}: ${command} ${JSON.stringify(text)}`;
    const body = new URLSearchParams({
      token: 'legacy',
      team_id: 'T0FAKE0001',
      team_domain: 'fake',
      channel_id: 'C0FAKECHN1',
      channel_name: 'ops',
      user_id: 'U0MALLORY',
      user_name: 'mallory',
      command,
      text,
      api_app_id: 'A0FAKE0001',
      is_enterprise_install: 'false',
      response_url: bot.slack.responseUrl(`fuzz-${index}`),
      trigger_id: `trigger-fuzz-${index}`,
    }).toString();
    const response = await bot.service.server.inject({
      method: 'POST',
      url: '/slack/events',
      payload: body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest({ signingSecret: SLACK_SIGNING_SECRET, body }),
      },
    });
    // What the listener reads is what the body carries: a form body is UTF-8, so a lone surrogate a generator made
    // arrives as U+FFFD, as it would from Slack.
    const delivered = new URLSearchParams(body);
    let parsed: SlashCommand | undefined;
    let refusal: unknown;
    try {
      parsed = parseSlashCommand(delivered.get('command') ?? '', delivered.get('text') ?? '');
    } catch (error) {
      refusal = error;
    }
    if (!parsed) {
      // Bolt routes only the two commands the app registered; another is no listener's (404).
      if (command !== '/expose' && command !== '/unexpose') {
        assert.equal(response.statusCode, 404, replay);
        continue;
      }
      assert.equal(response.statusCode, 200, replay);
      assert.ok(isTunnelbotError(refusal), replay);
      assert.deepEqual(response.json(), { response_type: 'ephemeral', text: errorText(refusal) }, replay);
      tally.refused += 1;
      continue;
    }
    assert.equal(response.statusCode, 200, `${replay}: ${response.body}`);
    if (parsed.kind === 'help') {
      assert.equal((response.json() as { text: string }).text, HELP_TEXT, replay);
      tally.help += 1;
      continue;
    }
    assert.equal(response.body, '', `${replay}: acked empty, the work goes on after the ack`);
    if (parsed.kind === 'open-form') tally.form += 1;
    else if (parsed.kind === 'list') tally.list += 1;
    else {
      const { kind, ...fields } = parsed;
      expected.push({ kind, command: fields });
      // The environment is looked up before the policy: an unknown one is said first.
      const known = parsed.environment === undefined || parsed.environment === 'staging';
      told.set(`fuzz-${index}`, known ? 'TB_ERR_POLICY_NOT_REQUESTER' : 'TB_ERR_PLAN_UNKNOWN_ENV');
      tally.passed += 1;
    }
  }
  await eventually(() => reached.length === expected.length, `${expected.length} requests reach the service`);
  assert.deepEqual(
    reached,
    expected,
    'each accepted command reached the service with exactly its parsed fields',
  );
  const answer = (id: string) => bot.slack.responseUrlPosts.find((post) => post.id === id);
  await eventually(
    () => [...told.keys()].every(answer),
    'every passed-on command answered through its response_url',
  );
  for (const [id, code] of told) {
    assert.match(JSON.stringify(answer(id)!.body), new RegExp(code), `${id} is told ${code}`);
  }
  assert.doesNotMatch(bot.logs(), /a Slack listener failed|"level":50/, 'no listener failed');
  assert.deepEqual(rejections, []);
  assert.equal((await bot.service.server.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  figure(t, 'slash-command fuzz: texts through signed POST /slack/events', { texts: cases.length, ...tally });
  t.diagnostic(
    `seed ${seed}: ${cases.length} texts through POST /slack/events: ${tally.refused} refused in the ack, ` +
      `${tally.passed} passed on exactly (and refused by the policy), ${tally.help} help, ${tally.list} list, ${tally.form} form`,
  );
  assert.ok(tally.refused >= 100 && tally.passed >= 20, JSON.stringify(tally));
});
