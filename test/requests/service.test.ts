import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { parseFluxEvent } from '../../src/core/flux-event.js';
import { parseSettings } from '../../src/core/settings.js';
import type { Conversation, Directory, MessageRef } from '../../src/requests/conversation.js';
import { RequestService, type Actor } from '../../src/requests/service.js';
import type { RequestView } from '../../src/requests/view.js';
import { readFixtureRepo } from '../helpers/fixtures.js';
import { kustomizationEvent } from '../helpers/flux.js';
import { startWorld, type World } from '../helpers/world.js';

const ALICE: Actor = { id: 'U0ALICE', name: 'Alice' };
const BOB: Actor = { id: 'U0BOB', name: 'Bob' };
const CHANNEL = 'C0TUNNELS';

const POLICY = `policy:
  request: {users: [U0ALICE, U0BOB]}
  approve: {users: [U0ALICE, U0BOB]}
`;

type Call =
  | { kind: 'post'; channel: string; ref: MessageRef; view: RequestView }
  | { kind: 'update'; ref: MessageRef; view: RequestView }
  | { kind: 'reply'; ref: MessageRef; text: string }
  | { kind: 'remove'; ref: MessageRef }
  | { kind: 'tell'; person: { id: string; channel: string }; text: string };

/** A conversation that writes down what it was asked to show, in order; `beforePost` lets a test hold a post. */
class RecordingConversation implements Conversation {
  readonly calls: Call[] = [];
  private next = 1;

  constructor(private readonly beforePost: () => Promise<void> = async () => {}) {}

  async post(channel: string, view: RequestView): Promise<MessageRef> {
    const ref = { channel, ts: `1700000000.${String(this.next++).padStart(6, '0')}` };
    this.calls.push({ kind: 'post', channel, ref, view });
    await this.beforePost();
    return ref;
  }
  async update(ref: MessageRef, view: RequestView): Promise<void> {
    this.calls.push({ kind: 'update', ref, view });
  }
  async reply(ref: MessageRef, text: string): Promise<void> {
    this.calls.push({ kind: 'reply', ref, text });
  }
  async remove(ref: MessageRef): Promise<void> {
    this.calls.push({ kind: 'remove', ref });
  }
  async tell(person: { id: string; channel: string }, text: string): Promise<void> {
    this.calls.push({ kind: 'tell', person, text });
  }

  of<K extends Call['kind']>(kind: K): Extract<Call, { kind: K }>[] {
    return this.calls.filter((call): call is Extract<Call, { kind: K }> => call.kind === kind);
  }
}

interface Setup {
  world: World;
  service: RequestService;
  merges: () => number;
}

async function setup(
  t: TestContext,
  conversation?: Conversation,
  options: {
    policy?: string;
    directory?: Directory;
    beforeGitHub?: (method: string, path: string) => Promise<void>;
    concurrency?: number;
  } = {},
): Promise<Setup> {
  let merges = 0;
  const world = await startWorld('flux-example', {
    beforeGitHub: async (method, path) => {
      if (method === 'PUT' && /\/pulls\/\d+\/merge$/.test(path)) merges += 1;
      await options.beforeGitHub?.(method, path);
    },
  });
  t.after(() => world.close());
  const fixture = readFixtureRepo('flux-example').files.get('.tunnelbot.yaml')!;
  const settings = parseSettings(`${fixture}\n${options.policy ?? POLICY}`, '.tunnelbot.yaml');
  const service = new RequestService({
    context: { ...world.context, settings },
    ...(conversation && { conversation }),
    ...(options.directory && { directory: options.directory }),
    dnsAwaitsFlux: true,
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
  });
  return { world, service, merges: () => merges };
}

test('expose posts one root message, then updates that same message to the open request', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service } = await setup(t, conversation);
  const reply = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  assert.equal(reply.ok, true, reply.text);
  assert.equal(reply.text, '', 'the message says it all');
  const posts = conversation.of('post');
  assert.equal(posts.length, 1);
  assert.equal(posts[0]!.channel, CHANNEL);
  assert.equal(posts[0]!.view.state, 'requested');
  const updates = conversation.of('update');
  assert.ok(updates.length >= 1);
  for (const update of updates) assert.deepEqual(update.ref, posts[0]!.ref);
  const last = updates.at(-1)!.view;
  assert.equal(last.state, 'open');
  const [pr] = await world.git.listOpenTunnelbotPrs();
  assert.ok(pr);
  assert.deepEqual(last.actions[0], { kind: 'approve', prNumber: pr.number, headSha: pr.headSha });
  assert.deepEqual(reply.pr, { number: pr.number, url: pr.url, headSha: pr.headSha });
  assert.deepEqual(pr.metadata?.slack, { channel: CHANNEL, messageTs: posts[0]!.ref.ts });
  assert.equal(conversation.of('remove').length, 0);
});

test('the message shows the PR link while GitHub labels the PR; a failed label then turns it to failed', async (t) => {
  const conversation = new RecordingConversation();
  let labelFails = false;
  let openShownBeforeLabel: boolean | undefined;
  const { world, service } = await setup(t, conversation, {
    beforeGitHub: async (method, path) => {
      if (method !== 'POST' || !/\/issues\/\d+\/labels$/.test(path)) return;
      // The label request is held until the message got its PR link: the link does not wait for it.
      const deadline = Date.now() + 5_000;
      while (!conversation.of('update').some((u) => u.view.state === 'open') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      openShownBeforeLabel ??= conversation.of('update').some((u) => u.view.state === 'open');
      if (labelFails) throw new Error('injected outage');
    },
  });
  const reply = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  assert.equal(reply.ok, true, reply.text);
  assert.equal(openShownBeforeLabel, true, 'the PR link was shown before the label was answered');
  assert.equal(conversation.of('update').filter((u) => u.view.state === 'open').length, 1, 'shown once');

  labelFails = true;
  openShownBeforeLabel = undefined;
  const failed = await service.expose(ALICE, { app: 'whoami', port: 80 }, { channel: CHANNEL });
  assert.equal(failed.ok, false);
  const ref = conversation.of('post').at(-1)!.ref;
  const updates = conversation.of('update').filter((u) => u.ref.ts === ref.ts);
  assert.deepEqual(
    updates.map((u) => u.view.state),
    ['open', 'failed'],
    'the link shown, then the failure',
  );
  const open = await world.git.listOpenTunnelbotPrs();
  assert.deepEqual(
    open.map((pr) => pr.metadata?.app),
    ['linkding'],
    'the unlabelled PR was taken back',
  );
  assert.equal(world.cloudflare.tunnels().length, 1, "the failed request's tunnel was deleted");
});

test('without a conversation the reply carries the PR link', async (t) => {
  const { world, service } = await setup(t);
  const reply = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  assert.equal(reply.ok, true, reply.text);
  const [pr] = await world.git.listOpenTunnelbotPrs();
  assert.ok(pr);
  assert.equal(reply.text, `Pull request #${pr.number} is waiting for approval: ${pr.url}`);
  assert.equal(pr.metadata?.slack, undefined);
});

test('approve by the requester is refused under four-eyes and nothing is merged', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service, merges } = await setup(t, conversation);
  const opened = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  const pr = opened.pr!;
  const before = conversation.calls.length;
  const reply = await service.approve(ALICE, { prNumber: pr.number, headSha: pr.headSha });
  assert.equal(reply.ok, false);
  assert.equal(reply.error?.code, 'TB_ERR_POLICY_SELF_APPROVAL');
  assert.match(reply.text, /four-eyes/);
  assert.match(reply.text, /TB_ERR_POLICY_SELF_APPROVAL/);
  assert.equal(merges(), 0);
  const info = await world.git.getPr(pr.number);
  assert.equal(info.merged, false);
  assert.equal(info.state, 'open');
  assert.equal(conversation.calls.length, before, 'the request message is left as it was');
});

test('a second approve of the same PR while the first runs is told "being decided already"; one merge', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service, merges } = await setup(t, conversation);
  const opened = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  const pr = opened.pr!;
  const input = { prNumber: pr.number, headSha: pr.headSha };
  const [first, second] = await Promise.all([service.approve(BOB, input), service.approve(BOB, input)]);
  assert.equal(first.ok, true, first.text);
  assert.equal(second.ok, true);
  assert.equal(
    second.text,
    `Pull request #${pr.number} is being decided already; its message shows the outcome.`,
  );
  assert.equal(merges(), 1);
  assert.equal((await world.git.getPr(pr.number)).merged, true);
  assert.equal(conversation.of('update').at(-1)?.view.state, 'merged');

  // Once decided, a late click is answered from git: already merged, and still no second merge.
  const late = await service.approve(BOB, input);
  assert.equal(late.ok, false);
  assert.equal(late.error?.code, 'TB_ERR_GITHUB_PR_ALREADY_MERGED');
  assert.equal(merges(), 1);
});

test('reject closes the PR, deletes the tunnel made for it and says so in the message', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service } = await setup(t, conversation);
  const opened = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  const pr = opened.pr!;
  const tunnelId = (await world.git.getPr(pr.number)).metadata?.tunnelId;
  assert.ok(tunnelId);
  assert.ok(world.cloudflare.tunnels().some((tunnel) => tunnel.id === tunnelId));
  const reply = await service.reject(BOB, { prNumber: pr.number });
  assert.equal(reply.ok, true, reply.text);
  assert.equal((await world.git.getPr(pr.number)).state, 'closed');
  assert.ok(!world.cloudflare.tunnels().some((tunnel) => tunnel.id === tunnelId), 'the tunnel is deleted');
  const last = conversation.of('update').at(-1)!;
  assert.deepEqual(last.ref, conversation.of('post')[0]!.ref);
  assert.equal(last.view.state, 'rejected');
  assert.equal(last.view.status, 'Rejected by <@U0BOB>; the pull request is closed. Its tunnel was deleted.');
});

test('a rejection that failed after closing the PR is finished by rejecting again', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service } = await setup(t, conversation);
  const opened = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  world.cloudflare.injectFault('tunnel.delete', { kind: 'error', status: 502, code: 10001 }, 1);
  const failed = await service.reject(BOB, { prNumber: opened.pr!.number });
  assert.equal(failed.ok, false);
  assert.equal(failed.error?.kind, 'upstream');
  assert.equal((await world.git.getPr(opened.pr!.number)).state, 'closed');
  assert.equal(world.cloudflare.tunnels().length, 1, 'the tunnel is still there');

  const finished = await service.reject(BOB, { prNumber: opened.pr!.number });
  assert.equal(finished.ok, true, finished.text);
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.equal(conversation.of('update').at(-1)!.view.state, 'rejected');
  // A merged PR is no rejection to finish.
  const merged = await service.expose(ALICE, { app: 'whoami', port: 80 }, { channel: CHANNEL });
  const headSha = world.github.pull(merged.pr!.number)!.headSha;
  assert.equal((await service.approve(BOB, { prNumber: merged.pr!.number, headSha })).ok, true);
  const refused = await service.reject(BOB, { prNumber: merged.pr!.number });
  assert.equal(refused.error?.code, 'TB_ERR_GITHUB_PR_ALREADY_MERGED');
});

test('an applied unexpose whose tunnel could not be deleted is finished by the next housekeeping round', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service } = await setup(t, conversation);
  const flux = async (prNumber: number) => {
    await world.fluxApplies();
    const mergeSha = world.github.pull(prNumber)!.mergeCommitSha!;
    await service.onFluxEvent(
      parseFluxEvent(kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${mergeSha}` })),
    );
  };
  const approve = (prNumber: number) =>
    service.approve(BOB, { prNumber, headSha: world.github.pull(prNumber)!.headSha });
  const exposed = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  assert.equal((await approve(exposed.pr!.number)).ok, true);
  await flux(exposed.pr!.number);
  const removal = await service.unexpose(ALICE, { app: 'linkding' }, { channel: CHANNEL });
  assert.equal((await approve(removal.pr!.number)).ok, true);

  world.cloudflare.injectFault('tunnel.delete', { kind: 'error', status: 502, code: 10001 }, 1);
  await flux(removal.pr!.number);
  assert.equal(world.cloudflare.tunnels().length, 1, 'the failed deletion left the tunnel');
  assert.equal(
    conversation.of('reply').some((call) => call.text.startsWith('Removed ')),
    false,
  );

  await service.housekeeping();
  assert.deepEqual(world.cloudflare.tunnels(), []);
  const removedRef = conversation.of('post').at(-1)!.ref;
  assert.equal(
    conversation
      .of('update')
      .filter((call) => call.ref.ts === removedRef.ts)
      .at(-1)!.view.state,
    'removed',
  );
  assert.equal(conversation.of('reply').filter((call) => call.text.startsWith('Removed ')).length, 1);
  // Done is done: another round tells nothing more.
  await service.housekeeping();
  assert.equal(conversation.of('reply').filter((call) => call.text.startsWith('Removed ')).length, 1);
});

test('the requester may withdraw their own request', async (t) => {
  const { world, service } = await setup(t);
  const opened = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  const reply = await service.reject(ALICE, { prNumber: opened.pr!.number });
  assert.equal(reply.ok, true, reply.text);
  assert.equal(reply.text, `Closed pull request #${opened.pr!.number}. Its tunnel was deleted.`);
  assert.equal((await world.git.getPr(opened.pr!.number)).state, 'closed');
});

test('a duplicate expose returns the first PR and takes back the message it posted', async (t) => {
  // Both requests post before either opens its PR, so both pass the "already open?" check: the race of two
  // replicas or a retried command. The ref is the lock; the loser must step aside.
  let posted = 0;
  let release!: () => void;
  const bothPosted = new Promise<void>((resolve) => (release = resolve));
  const conversation = new RecordingConversation(async () => {
    posted += 1;
    if (posted === 2) release();
    await bothPosted;
  });
  const { world, service } = await setup(t, conversation);
  const [a, b] = await Promise.all([
    service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL }),
    service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL }),
  ]);
  assert.equal(a.ok && b.ok, true, `${a.text} / ${b.text}`);
  const prs = await world.git.listOpenTunnelbotPrs();
  assert.equal(prs.length, 1, 'one pull request');
  const pr = prs[0]!;
  assert.equal(a.pr?.number, pr.number);
  assert.equal(b.pr?.number, pr.number);
  const posts = conversation.of('post');
  assert.equal(posts.length, 2);
  const removed = conversation.of('remove');
  assert.equal(removed.length, 1, 'the duplicate message is taken back');
  const kept = posts.find((post) => post.ref.ts !== removed[0]!.ref.ts)!;
  assert.deepEqual(pr.metadata?.slack, { channel: CHANNEL, messageTs: kept.ref.ts });
  assert.deepEqual(
    world.cloudflare.tunnels().map((tunnel) => tunnel.id),
    [pr.metadata?.tunnelId],
    "one tunnel, the PR's",
  );
  const loser = [a, b].find((reply) => reply.text !== '')!;
  assert.match(
    loser.text,
    new RegExp(`already waiting for approval: <${pr.url}\\|pull request #${pr.number}>`),
  );
  assert.ok(
    !conversation
      .of('update')
      .some((update) => update.ref.ts === removed[0]!.ref.ts && update.view.state === 'open'),
    'the removed message never showed Approve',
  );
});

test('a retried expose after the PR is open posts nothing and points at the first PR', async (t) => {
  const conversation = new RecordingConversation();
  const { service } = await setup(t, conversation);
  const first = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  const calls = conversation.calls.length;
  const again = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  assert.equal(again.ok, true);
  assert.equal(again.pr?.number, first.pr?.number);
  assert.match(again.text, /already waiting for approval/);
  assert.equal(conversation.calls.length, calls, 'no message posted, updated or removed');
});

const GROUP_POLICY = `policy:
  request: {groups: [S0DEVS]}
  approve: {users: [U0BOB]}
`;

test('a request allowed through a user group: the group is read from the directory', async (t) => {
  const asked: string[] = [];
  const directory: Directory = {
    membersOf: async (group) => {
      asked.push(group);
      return ['U0ALICE'];
    },
  };
  const { service } = await setup(t, undefined, { policy: GROUP_POLICY, directory });
  const reply = await service.expose(ALICE, { app: 'linkding', port: 9090 });
  assert.equal(reply.ok, true, reply.text);
  assert.deepEqual(asked, ['S0DEVS']);
});

test('a policy naming a group that cannot be resolved says so instead of a bare refusal', async (t) => {
  const { world, service } = await setup(t, undefined, { policy: GROUP_POLICY });
  const reply = await service.expose(ALICE, { app: 'linkding', port: 9090 });
  assert.equal(reply.ok, false);
  assert.equal(reply.error?.code, 'TB_ERR_POLICY_GROUPS_UNAVAILABLE');
  assert.match(reply.text, /S0DEVS cannot be resolved/);
  assert.deepEqual(await world.git.listOpenTunnelbotPrs(), [], 'nothing opened');
  assert.deepEqual(world.cloudflare.tunnels(), [], 'nothing created');
});

test('someone outside the policy is refused before anything exists', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service } = await setup(t, conversation);
  const reply = await service.expose(
    { id: 'U0MALLORY', name: 'Mallory' },
    { app: 'linkding', port: 9090 },
    { channel: CHANNEL },
  );
  assert.equal(reply.ok, false);
  assert.equal(reply.error?.code, 'TB_ERR_POLICY_NOT_REQUESTER');
  assert.match(reply.text, /U0MALLORY/);
  assert.deepEqual(conversation.calls, [], 'no message posted');
  assert.deepEqual(await world.git.listOpenTunnelbotPrs(), []);
  assert.deepEqual(world.cloudflare.tunnels(), []);
});

test('a burst of requests is worked on a few at a time, and every one is answered', async (t) => {
  let reading = 0;
  let most = 0;
  const { world, service } = await setup(t, new RecordingConversation(), {
    concurrency: 2,
    beforeGitHub: async (method, path) => {
      if (method !== 'GET' || !/\/branches\//.test(path)) return;
      reading += 1;
      most = Math.max(most, reading);
      await new Promise((resolve) => setTimeout(resolve, 100));
      reading -= 1;
    },
  });
  // Each request reads the default branch first, one read at a time.
  const replies = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      service.expose(ALICE, { app: `app${i}`, port: 8080 }, { channel: CHANNEL }),
    ),
  );
  assert.equal(most, 2, 'two requests at work at most, the others waiting their turn');
  for (const reply of replies) assert.equal(reply.ok, true, reply.text);
  const prs = await world.git.listOpenTunnelbotPrs();
  assert.deepEqual(prs.map((pr) => pr.metadata?.app).sort(), ['app0', 'app1', 'app2', 'app3']);
});

test('a click whose button names another request than its message is refused and changes nothing', async (t) => {
  const conversation = new RecordingConversation();
  const { world, service, merges } = await setup(t, conversation);
  const first = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  const second = await service.expose(
    ALICE,
    { app: 'podinfo', port: 9898, namespace: 'podinfo' },
    { channel: CHANNEL },
  );
  assert.equal(second.ok, true, second.text);
  const [linkdingMessage] = conversation.of('post').map((post) => post.ref);
  const before = conversation.calls.length;
  const pr = second.pr!;
  for (const decide of [
    () => service.approve(BOB, { prNumber: pr.number, headSha: pr.headSha, shownOn: linkdingMessage! }),
    () => service.reject(BOB, { prNumber: pr.number, shownOn: linkdingMessage! }),
    () =>
      service.approve(BOB, {
        prNumber: pr.number,
        headSha: pr.headSha,
        shownOn: { channel: 'C0OTHER', ts: '1.2' },
      }),
  ]) {
    const reply = await decide();
    assert.equal(reply.ok, false);
    assert.equal(reply.error?.code, 'TB_ERR_SLACK_FOREIGN_BUTTON');
    assert.match(reply.text, new RegExp(`#${pr.number}, which is not the request of the message`));
  }
  assert.equal(merges(), 0);
  assert.equal((await world.git.getPr(pr.number)).state, 'open');
  assert.equal(conversation.calls.length, before, 'no message posted, updated or removed');
  // The button on the request's own message works.
  const own = conversation.of('post')[1]!.ref;
  const approved = await service.approve(BOB, { prNumber: pr.number, headSha: pr.headSha, shownOn: own });
  assert.equal(approved.ok, true, approved.text);
  assert.equal(first.ok, true);
});
