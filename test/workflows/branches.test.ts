import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { reject } from '../../src/workflows/approve.js';
import { deleteLeftoverBranches } from '../../src/workflows/branches.js';
import { expose } from '../../src/workflows/expose.js';
import { branches } from '../helpers/fault-matrix.js';
import { ALICE, BOB, startWorld } from '../helpers/world.js';

test('housekeeping deletes the branch of a decided request, and only that', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', world.github.repoPath, ...args], { encoding: 'utf8' }).trim();

  const rejected = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  const open = await expose({ app: 'whoami', port: 80, requester: ALICE }, world.context);
  const rejectedPr = world.github.pull(rejected.pr.number)!;
  await reject({ prNumber: rejected.pr.number, reason: 'test', actor: BOB }, world.context);
  assert.equal(branches(world).includes(rejectedPr.headRef), false, 'the rejection deleted its branch');

  // Left behind as a failed follow-up step leaves it: the branch still on the closed PR's last commit.
  git('branch', rejectedPr.headRef, rejectedPr.headSha);
  // A branch no PR has yet (a request being opened), one pushed again after its PR closed, one of somebody else.
  const main = git('rev-parse', 'main');
  git('branch', 'tunnelbot/expose-staging-being-opened', main);
  git('branch', 'feature/not-ours', rejectedPr.headSha);

  assert.deepEqual(await deleteLeftoverBranches(world.context), [rejectedPr.headRef]);
  const left = branches(world);
  assert.equal(left.includes(rejectedPr.headRef), false);
  for (const kept of [
    world.github.pull(open.pr.number)!.headRef,
    'tunnelbot/expose-staging-being-opened',
    'feature/not-ours',
    'main',
  ]) {
    assert.ok(left.includes(kept), `${kept} is kept`);
  }

  // The same branch name taken by a newer commit (pushed again since the PR closed) is not the decided request's.
  git('branch', rejectedPr.headRef, main);
  assert.deepEqual(await deleteLeftoverBranches(world.context), []);
  assert.ok(branches(world).includes(rejectedPr.headRef));
  assert.deepEqual(await world.contractViolations(), []);
});
