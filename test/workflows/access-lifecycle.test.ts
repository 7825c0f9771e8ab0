import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { parseFluxEvent } from '../../src/core/flux-event.js';
import { RequestService } from '../../src/requests/service.js';
import { kustomizationEvent } from '../helpers/flux.js';
import { recordingConversation } from '../helpers/conversation.js';
import { EVERYONE, settingsWith, startWorld } from '../helpers/world.js';

const CONFIG = 'apps/staging/tunnels/linkding/config.yaml';
const ALICE = { id: 'U0ALICE', name: 'Alice' };
const BOB = { id: 'U0BOB', name: 'Bob' };

function ruleOnMain(files: Map<string, string>): Record<string, unknown> {
  return (parseDocument(files.get(CONFIG)!).toJS() as { ingress: Record<string, unknown>[] }).ingress[0]!;
}

test('done when: required Access -> app + rule -> CNAME after the app -> hand-deleted app repaired, closed -> unexpose leaves none', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const staff = world.cloudflare.seedAccessPolicy('Staff', [{ email_domain: { domain: 'example.com' } }]);
  const access = { mode: 'required', teamName: 'tunnelbot-fake', policies: ['Staff'] };
  const { conversation, replies } = recordingConversation();
  const context = { ...world.context, settings: settingsWith(world, { access, policy: EVERYONE }) };
  const service = new RequestService({ context, conversation, dnsAwaitsFlux: false });

  // Expose: the Access application exists before the PR, and the PR's rule requires a token for its aud.
  const exposed = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: 'C0REQUESTS' });
  assert.equal(exposed.ok, true, exposed.text);
  const [first] = world.cloudflare.accessApps();
  assert.ok(first);
  assert.deepEqual(first.policyIds, [staff.id]);
  const [pr] = await world.git.listOpenTunnelbotPrs();
  assert.ok(pr);
  const onBranch = ruleOnMain(world.checkout(world.github.pull(pr.number)!.headRef).files);
  const required = { access: { required: true, teamName: 'tunnelbot-fake', audTag: [first.aud] } };
  assert.deepEqual(onBranch['originRequest'], required);

  // Merge; Flux starts cloudflared; housekeeping makes the CNAME, because the application is in place.
  const approved = await service.approve(BOB, { prNumber: pr.number, headSha: pr.headSha });
  assert.equal(approved.ok, true, approved.text);
  assert.deepEqual(world.cloudflare.records(), []);
  await world.fluxApplies();
  await service.housekeeping();
  assert.deepEqual(
    world.cloudflare.records().map((r) => r.name),
    ['linkding.example.com'],
  );

  // Someone deletes the application by hand: housekeeping makes it again from the settings and tells the thread.
  world.cloudflare.deleteAccessAppByHand(first.id);
  await service.housekeeping();
  const [second] = world.cloudflare.accessApps();
  assert.ok(second, 'the application is back');
  assert.notEqual(second.id, first.id);
  assert.equal(second.domain, 'linkding.example.com');
  assert.deepEqual(second.policyIds, [staff.id]);
  const notice = replies.find((text) => text.includes('was missing'));
  assert.ok(notice, replies.join('\n'));
  assert.match(
    notice,
    /The Access application for https:\/\/linkding\.example\.com was missing; tunnelbot recreated it/,
  );
  assert.match(notice, /stays closed \(never public\)/);
  assert.ok(notice.includes(second.aud) && notice.includes(first.aud));
  // Closed meanwhile: the rule in git still requires a token, for the old tag, so nobody gets in.
  assert.deepEqual(ruleOnMain(world.checkout().files)['originRequest'], required);
  // A second round finds nothing to repair.
  await service.housekeeping();
  assert.equal(world.cloudflare.accessApps().length, 1);
  assert.equal(replies.filter((text) => text.includes('was missing')).length, 1);

  // Unexpose: once DNS is gone and Flux has stopped cloudflared, the application goes with the hostname.
  const removal = await service.unexpose(ALICE, { app: 'linkding' }, { channel: 'C0REQUESTS' });
  assert.equal(removal.ok, true, removal.text);
  const [unexposePr] = await world.git.listOpenTunnelbotPrs();
  assert.ok(unexposePr);
  const merged = await service.approve(BOB, { prNumber: unexposePr.number, headSha: unexposePr.headSha });
  assert.equal(merged.ok, true, merged.text);
  assert.deepEqual(world.cloudflare.records(), []);
  assert.equal(world.cloudflare.accessApps().length, 1, 'kept while cloudflared still runs');
  await world.fluxApplies();
  const info = await world.git.getPr(unexposePr.number);
  await service.onFluxEvent(
    parseFluxEvent(kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${info.mergeSha}` })),
  );
  assert.deepEqual(world.cloudflare.accessApps(), [], 'no Access application left behind');
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.deepEqual(world.cloudflare.records(), []);
  assert.ok(
    replies.some((text) => /Removed .*its Access application/.test(text)),
    replies.join('\n'),
  );
});
