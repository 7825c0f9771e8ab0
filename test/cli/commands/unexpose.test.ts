import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposeAsAlice, requestEnvironment, runCli } from '../../helpers/cli.js';
import { ALICE, BOB, startWorld } from '../../helpers/world.js';

test('tunnelbot unexpose opens the inverse pull request and leaves Cloudflare alone until it is approved', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = requestEnvironment(world);
  const exposed = await exposeAsAlice(env);
  assert.equal((await runCli(['approve', String(exposed), '--as', BOB.slackUserId], env)).code, 0);
  const tunnelId = world.cloudflare.tunnels()[0]!.id;
  // Flux applies the expose and cloudflared connects (simulated): the hostname gets its record.
  await world.fluxApplies();
  assert.equal((await runCli(['reconcile'], env)).code, 0);

  const result = await runCli(['unexpose', 'linkding', '--as', ALICE.slackUserId], env);
  assert.equal(result.code, 0, result.err);
  const number = Number(/Pull request #(\d+) is waiting for approval/.exec(result.out)?.[1]);
  const pr = await world.git.getPr(number);
  assert.equal(pr.metadata?.action, 'unexpose');
  assert.equal(pr.metadata?.tunnelId, tunnelId);
  assert.deepEqual(
    world.cloudflare.tunnels().map((tunnel) => tunnel.id),
    [tunnelId],
  );
  assert.equal(world.cloudflare.records().length, 1);

  const unknown = await runCli(['unexpose', 'grafana', '--as', ALICE.slackUserId], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /grafana/);
});
