import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Conversation, MessageRef } from '../../src/requests/conversation.js';
import { DONE_LABELS, RequestService } from '../../src/requests/service.js';
import { ALICE, BOB, startWorld } from '../helpers/world.js';

/** A conversation that only records what the service says, in order. */
function recordingConversation() {
  const said: string[] = [];
  let next = 0;
  const conversation: Conversation = {
    post: (channel, view) => {
      said.push(`post ${view.state}`);
      next += 1;
      return Promise.resolve({ channel, ts: `1700000000.00000${next}` });
    },
    update: (_ref: MessageRef, view) => {
      said.push(`update ${view.state}`);
      return Promise.resolve();
    },
    reply: (_ref: MessageRef, text) => {
      said.push(`reply ${text}`);
      return Promise.resolve();
    },
    remove: () => Promise.resolve(),
    tell: () => Promise.resolve(),
  };
  return { conversation, said };
}

test('a merged expose is told live only once its cloudflared runs and its CNAME exists, by the next housekeeping', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const everyone = { everyone: true, users: [], groups: [] };
  const { conversation, said } = recordingConversation();
  const requests = new RequestService({
    context: {
      ...world.context,
      settings: {
        ...world.context.settings,
        policy: { fourEyes: true, request: everyone, approve: everyone, environments: {} },
      },
    },
    conversation,
    dnsAwaitsFlux: false,
  });
  const alice = { id: ALICE.slackUserId, name: ALICE.name };
  const bob = { id: BOB.slackUserId, name: BOB.name };

  const requested = await requests.expose(alice, { app: 'linkding', port: 9090 }, { channel: 'C1' });
  assert.equal(requested.ok, true, requested.text);
  const pr = requested.pr!;
  const approved = await requests.approve(bob, { prNumber: pr.number, headSha: pr.headSha });
  assert.equal(approved.ok, true, approved.text);
  assert.deepEqual(world.cloudflare.records(), [], 'merged, but cloudflared does not run: no CNAME');
  assert.ok(!said.some((line) => line.startsWith('reply Live at')), said.join('\n'));

  await requests.housekeeping();
  assert.deepEqual(world.cloudflare.records(), []);
  assert.ok(!said.some((line) => line.startsWith('reply Live at')));

  await world.fluxApplies();
  await requests.housekeeping();
  assert.deepEqual(
    world.cloudflare.records().map((record) => record.name),
    ['linkding.example.com'],
  );
  assert.deepEqual(
    said.filter((line) => line.startsWith('reply Live at')),
    ['reply Live at https://linkding.example.com'],
  );
  assert.ok((await world.git.getPr(pr.number)).labels.includes(DONE_LABELS.live));

  await requests.housekeeping();
  assert.equal(said.filter((line) => line.startsWith('reply Live at')).length, 1, 'told once');
});
