import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposeAsAlice, requestEnvironment, runCli } from '../../helpers/cli.js';
import { ALICE, BOB, startWorld } from '../../helpers/world.js';

test('tunnelbot approve: the requester is refused (four-eyes), another person merges pinned to --sha', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = requestEnvironment(world);
  const number = await exposeAsAlice(env);
  const { headSha } = await world.git.getPr(number);

  const own = await runCli(['approve', String(number), '--sha', headSha, '--as', ALICE.slackUserId], env);
  assert.equal(own.code, 1);
  assert.equal(own.out, '');
  assert.match(own.err, /four-eyes approval is on/);
  assert.match(own.err, /TB_ERR_POLICY_SELF_APPROVAL/);
  assert.equal((await world.git.getPr(number)).state, 'open');

  const stale = await runCli(
    ['approve', String(number), '--sha', 'f'.repeat(40), '--as', BOB.slackUserId],
    env,
  );
  assert.equal(stale.code, 1);
  assert.match(stale.err, /TB_ERR_GITHUB_PR_HEAD_CHANGED/);
  assert.equal((await world.git.getPr(number)).merged, false);

  const bob = await runCli(['approve', String(number), '--sha', headSha, '--as', BOB.slackUserId], env);
  assert.equal(bob.code, 0, bob.err);
  const pr = await world.git.getPr(number);
  assert.equal(pr.merged, true);
  assert.match(bob.out, new RegExp(`^Merged pull request #${number} as [0-9a-f]{40}\\.\\n$`));
  assert.deepEqual(world.cloudflare.records(), [], 'no CNAME before cloudflared runs');
  // Flux applies the merge and cloudflared connects (simulated); the next convergence gives the hostname its record.
  await world.fluxApplies(pr.mergeSha!);
  assert.equal((await runCli(['reconcile'], env)).code, 0);
  assert.equal(world.cloudflare.records()[0]?.name, 'linkding.example.com', 'DNS followed the merge');
});

test('tunnelbot approve without --sha pins the merge to the head read now and says so', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = requestEnvironment(world);
  const number = await exposeAsAlice(env);
  const { headSha } = await world.git.getPr(number);

  const result = await runCli(['approve', `#${number}`, '--as', BOB.slackUserId], env);
  assert.equal(result.code, 0, result.err);
  assert.match(
    result.out,
    new RegExp(
      `^No head commit was given: approved the pull request's current head ${headSha.slice(0, 7)}\\.`,
    ),
  );
  assert.equal((await world.git.getPr(number)).merged, true);
});

test('tunnelbot approve with a PR that is not a number is a usage error', async () => {
  const result = await runCli(['approve', 'latest', '--as', BOB.slackUserId], {});
  assert.equal(result.code, 1);
  assert.match(result.err, /^tunnelbot approve: "latest" is not a pull request number\./);
});
