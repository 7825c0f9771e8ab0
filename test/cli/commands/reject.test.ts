import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposeAsAlice, requestEnvironment, runCli } from '../../helpers/cli.js';
import { BOB, startWorld } from '../../helpers/world.js';

test('tunnelbot reject closes the pull request, deletes its branch and the tunnel created for it', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = requestEnvironment(world);
  const number = await exposeAsAlice(env);
  const { headRef } = await world.git.getPr(number);
  assert.equal(world.cloudflare.tunnels().length, 1);

  const result = await runCli(
    ['reject', String(number), '--reason', 'not this app', '--as', BOB.slackUserId],
    env,
  );
  assert.equal(result.code, 0, result.err);
  assert.equal(result.out, `Closed pull request #${number}. Its tunnel was deleted.\n`);
  const pr = await world.git.getPr(number);
  assert.equal(pr.state, 'closed');
  assert.equal(pr.merged, false);
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.ok(!(await world.github.repository.refSha(`refs/heads/${headRef}`)), 'the branch is deleted');

  // Rejecting a closed request again finishes a clean-up that failed, and changes nothing when there is none.
  const again = await runCli(['reject', String(number), '--as', BOB.slackUserId], env);
  assert.equal(again.code, 0, again.err);
  assert.equal(again.out, `Pull request #${number} was closed already; its clean-up is finished.\n`);
  assert.equal((await world.git.getPr(number)).state, 'closed');
});
