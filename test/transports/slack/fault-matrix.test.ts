import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeSlack, FakeSlackFault } from '../../../src/sandbox/slack/index.js';
import { FAULTS, badCells, inPool, printMatrix, type FaultKind } from '../../helpers/fault-matrix.js';
import { eventually } from '../../helpers/service.js';
import { rootMessages, startSlackService, type SlackWorld } from '../../helpers/slack.js';
import { startWorld, type World } from '../../helpers/world.js';

/**
 * The fault matrix of the Slack calls themselves, through the real transport (Bolt, the Web API client, the fake
 * Slack): `views.open` (the `/expose` form), `chat.postMessage` and `chat.update` (the request's message) and
 * `chat.postEphemeral` (what a form's submitter is told). Each meets a 5xx, a 429 with retry-after, no answer until
 * the client's timeout, and a reset. A cell passes when the person ends up with the request (complete), or is told
 * what failed with nothing left behind and a retry completes it. The request service's own handling of these calls
 * in every flow is in test/requests/fault-matrix*.test.ts.
 */

const CALL_TIMEOUT_MS = 1_500;
const SLACK_FAULTS: Record<FaultKind, FakeSlackFault | 'ratelimit'> = {
  '5xx': { kind: 'status', status: 502 },
  '429': 'ratelimit',
  timeout: { kind: 'hang' },
  reset: { kind: 'reset' },
};

function arm(slack: FakeSlack, method: string, fault: FaultKind): void {
  const injected = SLACK_FAULTS[fault];
  if (injected === 'ratelimit') slack.rateLimit(method, 1);
  else slack.injectFault(method, injected);
}

/** How many answers to the person alone (response_url posts, ephemerals) there are, to find the newer ones. */
function answered(bot: SlackWorld): { posts: number; ephemerals: number } {
  return { posts: bot.slack.responseUrlPosts.length, ephemerals: bot.slack.ephemerals.length };
}

/** Whether an answer since `since` names an error. */
function toldSince(bot: SlackWorld, since: { posts: number; ephemerals: number }): boolean {
  return [
    ...bot.slack.responseUrlPosts
      .slice(since.posts)
      .map((post) => bot.slack.render(post.body as { text?: string })),
    ...bot.slack.ephemerals.slice(since.ephemerals).map((ephemeral) => ephemeral.text ?? ''),
  ].some((text) => /TB_ERR_/.test(text));
}

/** Everything a person may read: the channel's messages, response_url posts and ephemerals. */
function everythingSaid(bot: SlackWorld): string {
  return [
    ...bot.slack.messages.map((message) => bot.slack.render(message)),
    ...bot.slack.responseUrlPosts.map((post) => bot.slack.render(post.body as { text?: string })),
    ...bot.slack.ephemerals.map((ephemeral) => ephemeral.text ?? ''),
  ].join('\n');
}

async function openPrs(world: World): Promise<number> {
  return (await world.git.listOpenTunnelbotPrs()).length;
}

const waitingForApproval = (bot: SlackWorld) =>
  rootMessages(bot.slack).some((message) => /Waiting for approval/.test(bot.slack.render(message)));

/** `/expose linkding 9090` as Alice types it, until its message waits for approval or it is told why not. */
async function exposeCommand(bot: SlackWorld): Promise<void> {
  const since = answered(bot);
  await bot.slack.sendSlashCommand({ command: '/expose', text: 'linkding 9090', user_id: 'U0ALICE' });
  await eventually(() => waitingForApproval(bot) || toldSince(bot, since), 'the request or its failure');
}

/** `/expose` alone, then the form submitted; the form's outcome comes as a channel message or an ephemeral. */
async function exposeForm(bot: SlackWorld): Promise<'opened' | 'told' | 'silent'> {
  const opened = bot.slack.views.length;
  const since = answered(bot);
  await bot.slack.sendSlashCommand({ command: '/expose', text: '', user_id: 'U0ALICE' });
  await eventually(() => bot.slack.views.length > opened || toldSince(bot, since), 'the form or why not');
  if (bot.slack.views.length === opened) return 'told';
  const ephemerals = bot.slack.ephemerals.length;
  const untold = () => (bot.logs().match(/could not tell the requester/g) ?? []).length;
  const untoldBefore = untold();
  await bot.slack.submitView({
    viewId: bot.slack.views.at(-1)!.id,
    userId: 'U0ALICE',
    values: {
      app: { value: { type: 'plain_text_input', value: 'linkding' } },
      port: { value: { type: 'plain_text_input', value: '9090' } },
    },
  });
  // The request's message, or the submitter told alone, or (Slack refusing that too, once its call gave up) the log.
  await eventually(
    () => waitingForApproval(bot) || bot.slack.ephemerals.length > ephemerals || untold() > untoldBefore,
    'the request or its failure',
  );
  return 'opened';
}

interface Cell {
  readonly call: string;
  /** What the person does; run again as the retry. */
  readonly act: (bot: SlackWorld) => Promise<unknown>;
  /** Faults to arm beyond the cell's own, so its call is made (an ephemeral is only sent for a failure). */
  readonly also?: (slack: FakeSlack) => void;
}

const CELLS: readonly Cell[] = [
  { call: 'views.open', act: exposeForm },
  { call: 'chat.postMessage', act: exposeCommand },
  { call: 'chat.update', act: exposeCommand },
  {
    call: 'chat.postEphemeral',
    act: exposeForm,
    // The form's request cannot post its message, so its submitter is told ephemerally, which meets the fault.
    also: (slack) => slack.failNext('chat.postMessage', 'internal_error'),
  },
];

async function runCell(cell: Cell, fault: FaultKind): Promise<string> {
  const world = await startWorld();
  const bot = await startSlackService(world, { callTimeoutMs: CALL_TIMEOUT_MS });
  try {
    cell.also?.(bot.slack);
    arm(bot.slack, cell.call, fault);
    await cell.act(bot);
    if (bot.slack.pendingFaults > 0) return 'fault not reached';
    const prs = await openPrs(world);
    const tunnels = world.cloudflare.tunnels().length;
    if (waitingForApproval(bot) && prs === 1 && tunnels === 1) return 'complete';
    const left = [
      ...(prs > 0 ? [`${prs} PR(s)`] : []),
      ...(tunnels > 0 ? [`${tunnels} tunnel(s)`] : []),
      ...(rootMessages(bot.slack).some((message) => !/failed/i.test(bot.slack.render(message)))
        ? ['a message that does not say it failed']
        : []),
    ];
    if (left.length > 0) return `failed, left ${left.join(', ')}`;
    const told = /TB_ERR_SLACK/.test(everythingSaid(bot));
    // Slack refused the one way left to tell the submitter: it is logged, and nothing was made.
    const logged = /could not tell the requester/.test(bot.logs());
    if (!told && !(cell.call === 'chat.postEphemeral' && logged)) return 'failed, not told';
    await cell.act(bot);
    if (!(waitingForApproval(bot) && (await openPrs(world)) === 1))
      return 'failed, told; the retry did not complete';
    return told
      ? 'failed, told; retry complete'
      : 'failed, Slack refused the telling (logged); retry complete';
  } catch (error) {
    return `threw ${(error as Error).message.split('\n')[0]}`;
  } finally {
    await bot.close();
    await world.close();
  }
}

test('fault matrix of the Slack calls: views.open, chat.postMessage, chat.update, chat.postEphemeral', async (t) => {
  const outcomes = await inPool(
    CELLS.flatMap((cell) => FAULTS.map((fault) => ({ cell, fault }))),
    4,
    ({ cell, fault }) => runCell(cell, fault),
  );
  const rows = CELLS.map((cell, index) => [
    `Slack ${cell.call}`,
    ...outcomes.slice(index * FAULTS.length, (index + 1) * FAULTS.length),
  ]);
  printMatrix('fault matrix of the Slack transport', rows, t);
  const good =
    /^(complete|failed, told; retry complete|failed, Slack refused the telling \(logged\); retry complete)$/;
  assert.deepEqual(badCells(rows, good), [], 'every cell ends complete or cleanly failed');
});
