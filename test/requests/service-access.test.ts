import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestService } from '../../src/requests/service.js';
import { recordingConversation } from '../helpers/conversation.js';
import { EVERYONE, settingsWith, startWorld } from '../helpers/world.js';

test('access=public reaches the workflow through the request service, and its message says PUBLIC', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const access = { mode: 'optional', teamName: 'tunnelbot-fake', include: [{ email: 'a@example.com' }] };
  const { conversation, views } = recordingConversation();
  const service = new RequestService({
    context: { ...world.context, settings: settingsWith(world, { access, policy: EVERYONE }) },
    conversation,
    dnsAwaitsFlux: false,
  });

  const reply = await service.expose(
    { id: 'U0ALICE', name: 'Alice' },
    { app: 'linkding', port: 9090, access: 'public' },
    { channel: 'C0REQUESTS' },
  );
  assert.equal(reply.ok, true, reply.text);
  assert.deepEqual(world.cloudflare.accessApps(), [], 'a public app gets no Access application');
  assert.ok(views.length >= 2);
  for (const view of views) {
    assert.ok(view.warnings.includes('PUBLIC: anyone on the internet reaches this app'), view.state);
  }
});

/** A live app behind required Access; `replies` holds what its thread is told from then on. */
async function liveBehindAccess(t: { after(fn: () => Promise<void>): void }, timeoutMs?: number) {
  const world = await startWorld('flux-example', timeoutMs === undefined ? {} : { timeoutMs });
  t.after(() => world.close());
  world.cloudflare.seedAccessPolicy('Staff', [{ email_domain: { domain: 'example.com' } }]);
  const access = { mode: 'required', teamName: 'tunnelbot-fake', policies: ['Staff'] };
  const { conversation, replies } = recordingConversation();
  const service = new RequestService({
    context: { ...world.context, settings: settingsWith(world, { access, policy: EVERYONE }) },
    conversation,
    dnsAwaitsFlux: false,
  });
  const alice = { id: 'U0ALICE', name: 'Alice' };
  const exposed = await service.expose(alice, { app: 'linkding', port: 9090 }, { channel: 'C0REQUESTS' });
  assert.equal(exposed.ok, true, exposed.text);
  const [pr] = await world.git.listOpenTunnelbotPrs();
  const bob = { id: 'U0BOB', name: 'Bob' };
  const approved = await service.approve(bob, { prNumber: pr!.number, headSha: pr!.headSha });
  assert.equal(approved.ok, true, approved.text);
  await world.fluxApplies();
  await service.housekeeping();
  assert.equal(world.cloudflare.records().length, 1, 'live');
  replies.length = 0;
  return { world, service, replies };
}

const FAILED =
  /was missing; recreating it from the settings failed: .*tries again at every housekeeping round/;
const RECREATED = /was missing; tunnelbot recreated it from the settings/;

test('a repair whose create timed out but was made: the thread hears of the failure, then that the application is back', async (t) => {
  const { world, service, replies } = await liveBehindAccess(t, 1_000);
  const [first] = world.cloudflare.accessApps();
  world.cloudflare.deleteAccessAppByHand(first!.id);
  // Cloudflare answers after tunnelbot gave up: the application is made, and tunnelbot cannot know it.
  world.cloudflare.injectFault('access.apps.create', { kind: 'latency', ms: 1_300 }, 1);
  await service.housekeeping();
  assert.equal(replies.length, 1, replies.join('\n'));
  assert.match(replies[0]!, FAILED);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const [second] = world.cloudflare.accessApps();
  assert.ok(second && second.id !== first!.id, 'the create took effect');
  // The next round finds no drift; it says how the repair ended, with the new tag against the rule's old one.
  await service.housekeeping();
  assert.equal(replies.length, 2, replies.join('\n'));
  assert.match(
    replies[1]!,
    /was missing; it is in place again \(the create that seemed to fail was made after all/,
  );
  assert.ok(replies[1]!.includes(second.aud) && replies[1]!.includes(first!.aud), replies[1]);
  await service.housekeeping();
  assert.equal(replies.length, 2, `nothing more is said: ${replies.join('\n')}`);
  assert.equal(world.cloudflare.accessApps().length, 1);
});

test('a repair that fails round after round is told once, and its success once', async (t) => {
  const { world, service, replies } = await liveBehindAccess(t);
  world.cloudflare.deleteAccessAppByHand(world.cloudflare.accessApps()[0]!.id);
  world.cloudflare.injectFault('access.apps.create', { kind: 'error', status: 503, code: 10001 }, 100);
  await service.housekeeping();
  await service.housekeeping();
  assert.deepEqual(world.cloudflare.accessApps(), [], 'Cloudflare refused both rounds');
  assert.equal(replies.length, 1, replies.join('\n'));
  assert.match(replies[0]!, FAILED);
  assert.match(replies[0]!, /`TB_ERR_CLOUDFLARE_UPSTREAM`/);
  world.cloudflare.clearFaults();
  await service.housekeeping();
  assert.equal(world.cloudflare.accessApps().length, 1, 'repaired');
  assert.equal(replies.length, 2, replies.join('\n'));
  assert.match(replies[1]!, RECREATED);
});
